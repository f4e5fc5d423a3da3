//! `agent-kanban backup` and the server's scheduled backups: a consistent copy of the live
//! database (`VACUUM INTO`, so writers keep going), verified, gzip-compressed as
//! `agent_kanban-YYYYMMDDTHHMMSSZ.db.gz` with a manifest `agent_kanban-YYYYMMDDTHHMMSSZ.json`
//! beside it, then the backups beyond the newest `keep` are deleted.

use crate::cli::BackupArgs;
use crate::serve::{RunError, load, open_store};
use crate::settings::Overrides;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use kanban_storage_diesel::{SqliteStore, StorageError, inspect};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file names of backups start with this.
pub const PREFIX: &str = "agent_kanban-";
/// … and end with this.
pub const SUFFIX: &str = ".db.gz";

/// What a backup holds, written beside it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The backup's file name.
    pub file: String,
    /// When it was taken (RFC 3339, UTC).
    pub created_at: String,
    /// The latest migration applied to the copied database.
    pub schema_version: Option<String>,
    /// Size of the uncompressed database.
    pub database_bytes: u64,
    /// Size of the gzip file.
    pub compressed_bytes: u64,
    /// SHA-256 of the gzip file, lowercase hex.
    pub sha256: String,
    /// Rows per table of the copy.
    pub row_counts: BTreeMap<String, i64>,
}

/// A backup taken.
#[derive(Debug)]
pub struct Outcome {
    pub path: PathBuf,
    pub manifest: Manifest,
    /// Older backups deleted by the rotation.
    pub removed: Vec<PathBuf>,
}

/// Why a backup failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Storage(#[from] StorageError),
    #[error("the copy fails its integrity check ({0}); run `agent-kanban check`")]
    Damaged(String),
    #[error("{0} already exists (one backup per second)")]
    Exists(String),
    #[error("manifest: {0}")]
    Manifest(#[from] serde_json::Error),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The manifest file of the backup at `backup`: `agent_kanban-<stamp>.json`.
pub fn manifest_path(backup: &Path) -> PathBuf {
    let name = backup
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(SUFFIX).unwrap_or(&name);
    backup.with_file_name(format!("{stem}.json"))
}

/// SHA-256 of the file at `path`, lowercase hex.
pub fn sha256_of(path: &Path) -> Result<String, BackupError> {
    let mut reader = BufReader::new(File::open(path).map_err(io(path))?);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 64 * 1024];
    loop {
        let read = reader.read(&mut buffer).map_err(io(path))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn compress(source: &Path, target: &Path) -> Result<(), BackupError> {
    let mut input = BufReader::new(File::open(source).map_err(io(source))?);
    let output = File::create(target).map_err(io(target))?;
    let mut encoder = GzEncoder::new(BufWriter::new(output), Compression::default());
    std::io::copy(&mut input, &mut encoder).map_err(io(target))?;
    let writer = encoder.finish().map_err(io(target))?;
    let file = writer
        .into_inner()
        .map_err(|e| io(target)(e.into_error()))?;
    file.sync_all().map_err(io(target))
}

/// Takes a backup of `store` into `dir` stamped `now`, then keeps the newest `keep` there.
///
/// # Errors
/// `Exists` when a backup of the same second exists, `Damaged` when the copy fails its
/// integrity check, `Io` or `Storage` when writing fails. Partial files are removed.
pub fn take(
    store: &SqliteStore,
    dir: &Path,
    keep: usize,
    now: DateTime<Utc>,
) -> Result<Outcome, BackupError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let name = format!("{PREFIX}{stamp}{SUFFIX}");
    let path = dir.join(&name);
    if path.exists() {
        return Err(BackupError::Exists(path.display().to_string()));
    }
    let raw = dir.join(format!(".{PREFIX}{stamp}.db.partial"));
    let packed = dir.join(format!(".{name}.partial"));
    let result = write_backup(store, &raw, &packed, &path, &name, now);
    let _ = std::fs::remove_file(&raw);
    let _ = std::fs::remove_file(&packed);
    let manifest = result?;
    let removed = rotate(dir, keep)?;
    Ok(Outcome {
        path,
        manifest,
        removed,
    })
}

fn write_backup(
    store: &SqliteStore,
    raw: &Path,
    packed: &Path,
    path: &Path,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Manifest, BackupError> {
    let _ = std::fs::remove_file(raw);
    store.backup_into(raw)?;
    let inspection = inspect(raw)?;
    if !inspection.check.is_clean() {
        let mut findings = inspection.check.integrity;
        findings.extend(inspection.check.foreign_keys);
        return Err(BackupError::Damaged(findings.join("; ")));
    }
    compress(raw, packed)?;
    let manifest = Manifest {
        file: name.to_owned(),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        schema_version: inspection.schema_version,
        database_bytes: std::fs::metadata(raw).map_err(io(raw))?.len(),
        compressed_bytes: std::fs::metadata(packed).map_err(io(packed))?.len(),
        sha256: sha256_of(packed)?,
        row_counts: inspection.row_counts,
    };
    std::fs::rename(packed, path).map_err(io(path))?;
    let manifest_file = manifest_path(path);
    let mut out = File::create(&manifest_file).map_err(io(&manifest_file))?;
    serde_json::to_writer_pretty(&mut out, &manifest)?;
    out.write_all(b"\n").map_err(io(&manifest_file))?;
    out.sync_all().map_err(io(&manifest_file))?;
    Ok(manifest)
}

/// The backups in `dir`, newest first (the UTC stamps sort as text).
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, BackupError> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
            found.push(entry.path());
        }
    }
    found.sort();
    found.reverse();
    Ok(found)
}

/// Deletes the backups (and their manifests) beyond the newest `keep` (at least 1).
pub fn rotate(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, BackupError> {
    let old: Vec<PathBuf> = list(dir)?.into_iter().skip(keep.max(1)).collect();
    for path in &old {
        std::fs::remove_file(path).map_err(io(path))?;
        let _ = std::fs::remove_file(manifest_path(path));
    }
    Ok(old)
}

/// The server's scheduled backups: [`take`] every `period` (the first one a period after start)
/// on the blocking pool, logging each outcome.
pub async fn every(period: Duration, store: SqliteStore, dir: PathBuf, keep: usize) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    // After a slow backup, wait a whole period rather than catching up at once.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (store, dir) = (store.clone(), dir.clone());
        let taken = actix_web::web::block(move || take(&store, &dir, keep, Utc::now())).await;
        match taken {
            Ok(Ok(outcome)) => tracing::info!(
                file = %outcome.path.display(),
                bytes = outcome.manifest.compressed_bytes,
                removed = outcome.removed.len(),
                "backup taken"
            ),
            Ok(Err(error)) => tracing::error!(%error, "scheduled backup failed"),
            Err(error) => tracing::error!(%error, "scheduled backup failed"),
        }
    }
}

/// `agent-kanban backup`.
pub fn run(args: &BackupArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let settings = load(&args.common, Overrides::default(), env)?;
    let store = open_store(&settings)?;
    let dir = args.dir.clone().unwrap_or(settings.backup.dir.clone());
    let keep = args.keep.unwrap_or(settings.backup.keep);
    if keep == 0 {
        return Err(RunError::Usage("--keep must be at least 1".into()));
    }
    let outcome = take(&store, &dir, keep, Utc::now())?;
    println!(
        "backup {} ({} bytes, sha256 {}, schema {})",
        outcome.path.display(),
        outcome.manifest.compressed_bytes,
        outcome.manifest.sha256,
        outcome.manifest.schema_version.as_deref().unwrap_or("none"),
    );
    for removed in &outcome.removed {
        println!("removed {}", removed.display());
    }
    Ok(())
}
