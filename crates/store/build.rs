// `sqlx::migrate!` embeds the migration files at compile time; a new file alone does not
// make cargo rebuild, so tell it to watch the folders.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
