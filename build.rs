//! `embed_migrations!` reads `migrations/` while compiling, but cargo does not know it: without
//! this, a new migration alone does not rebuild the crate, and the binary runs without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
