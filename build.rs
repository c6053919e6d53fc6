//! `embed_migrations!` reads `migrations/` and `rust_i18n::i18n!` reads `locales/` while
//! compiling, but cargo does not know it: without this, a new migration or message alone does
//! not rebuild the crate, and the binary runs without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
}
