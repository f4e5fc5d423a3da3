//! `agent-kanban restore FILE`: takes the database's lock file alone (a running server holds it
//! shared, so the restore refuses), decompresses the backup beside the database, verifies it
//! (checksum against its manifest when present, integrity and foreign keys, a schema version
//! this binary knows), and only then moves the current database (with its `-wal` and `-shm`)
//! aside as `<db>.replaced-<stamp>` and renames the backup into place.

use crate::backup::{BackupError, Manifest, io, manifest_path, sha256_of};
use crate::cli::RestoreArgs;
use crate::serve::{RunError, load};
use crate::settings::Overrides;
use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use kanban_storage_diesel::{
    DatabaseLock, LockError, database_path, inspect, known_schema_versions,
};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Why a restore did not happen. Nothing was replaced in every case.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("refusing to restore: {0}")]
    Locked(#[from] LockError),
    #[error("refusing to restore {file}: {reason}; the database was not touched")]
    Refused { file: String, reason: String },
    #[error(transparent)]
    Backup(#[from] BackupError),
}

/// A restore done.
#[derive(Debug)]
pub struct Restored {
    pub database: PathBuf,
    /// Where the previous database went, when there was one.
    pub replaced: Option<PathBuf>,
    pub schema_version: String,
    pub row_counts: BTreeMap<String, i64>,
}

fn refuse(file: &Path, reason: impl Into<String>) -> RestoreError {
    RestoreError::Refused {
        file: file.display().to_string(),
        reason: reason.into(),
    }
}

/// Writes the database inside `file` (gzip, or a plain SQLite file) to `staging`.
fn unpack(file: &Path, staging: &Path) -> Result<(), RestoreError> {
    let mut input = BufReader::new(File::open(file).map_err(io(file))?);
    let mut magic = [0_u8; 2];
    let gzip = input.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let mut input = BufReader::new(File::open(file).map_err(io(file))?);
    let mut output = File::create(staging).map_err(io(staging))?;
    let copied = if gzip {
        std::io::copy(&mut GzDecoder::new(input), &mut output)
    } else {
        std::io::copy(&mut input, &mut output)
    };
    copied.map_err(|e| refuse(file, format!("cannot decompress it ({e})")))?;
    output.sync_all().map_err(io(staging))?;
    Ok(())
}

/// Checks the checksum against the manifest beside `file`, when there is one.
fn verify_manifest(file: &Path) -> Result<(), RestoreError> {
    let path = manifest_path(file);
    if path == file || !path.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| refuse(file, format!("unreadable manifest {}: {e}", path.display())))?;
    let actual = sha256_of(file)?;
    if actual != manifest.sha256 {
        return Err(refuse(
            file,
            format!(
                "its sha256 {actual} differs from {} in {}",
                manifest.sha256,
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Verifies the unpacked database at `staging`; returns its schema version and row counts.
fn verify(file: &Path, staging: &Path) -> Result<(String, BTreeMap<String, i64>), RestoreError> {
    let inspection =
        inspect(staging).map_err(|e| refuse(file, format!("not a readable database ({e})")))?;
    if !inspection.check.is_clean() {
        let mut findings = inspection.check.integrity;
        findings.extend(inspection.check.foreign_keys);
        return Err(refuse(
            file,
            format!("it fails its integrity check: {}", findings.join("; ")),
        ));
    }
    let Some(version) = inspection.schema_version else {
        return Err(refuse(file, "it has no migrations table"));
    };
    let known = known_schema_versions().map_err(|e| refuse(file, e.to_string()))?;
    if !known.contains(&version) {
        return Err(refuse(
            file,
            format!("schema version {version} is unknown to this release (a newer one?)"),
        ));
    }
    Ok((version, inspection.row_counts))
}

/// Moves `from` to `to` when it exists.
fn move_aside(from: &Path, to: &Path) -> Result<bool, RestoreError> {
    match std::fs::rename(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io(from)(e).into()),
    }
}

/// Restores `file` as the database at `database_url`.
///
/// # Errors
/// `Locked` while a server holds the database, `Refused` when the backup does not verify,
/// `Backup` (I/O) when a file cannot be written. The database is left alone in every case but
/// the last renames.
pub fn restore(
    database_url: &str,
    file: &Path,
    now: DateTime<Utc>,
) -> Result<Restored, RestoreError> {
    let _lock = DatabaseLock::exclusive(database_url)?;
    let database = PathBuf::from(database_path(database_url));
    if !file.is_file() {
        return Err(refuse(file, "no such file"));
    }
    verify_manifest(file)?;
    let staging = PathBuf::from(format!("{}.restoring", database.display()));
    let _ = std::fs::remove_file(&staging);
    let verified = unpack(file, &staging).and_then(|()| verify(file, &staging));
    let (schema_version, row_counts) = match verified {
        Ok(found) => found,
        Err(error) => {
            let _ = std::fs::remove_file(&staging);
            return Err(error);
        }
    };
    let aside = format!(
        "{}.replaced-{}",
        database.display(),
        now.format("%Y%m%dT%H%M%SZ")
    );
    let replaced = move_aside(&database, Path::new(&aside))?.then(|| PathBuf::from(&aside));
    for suffix in ["-wal", "-shm"] {
        move_aside(
            Path::new(&format!("{}{suffix}", database.display())),
            Path::new(&format!("{aside}{suffix}")),
        )?;
    }
    std::fs::rename(&staging, &database).map_err(io(&database))?;
    Ok(Restored {
        database,
        replaced,
        schema_version,
        row_counts,
    })
}

/// `agent-kanban restore FILE`.
pub fn run(args: &RestoreArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let settings = load(&args.common, Overrides::default(), env)?;
    let restored = restore(&settings.database.url, &args.file, Utc::now())?;
    println!(
        "restored {} from {} (schema {})",
        restored.database.display(),
        args.file.display(),
        restored.schema_version
    );
    for (table, rows) in &restored.row_counts {
        println!("  {table}: {rows} rows");
    }
    match &restored.replaced {
        Some(path) => println!("the previous database is kept as {}", path.display()),
        None => println!("there was no previous database"),
    }
    println!("start the server (or run `agent-kanban migrate`) to apply newer migrations");
    Ok(())
}
