//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the directory's files but
//! only tracks the ones that already existed.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
