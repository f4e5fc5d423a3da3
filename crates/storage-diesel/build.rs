//! Rebuild when a migration changes: `embed_migrations!` reads `migrations/` at compile time,
//! and cargo would not otherwise notice a new or edited migration.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
