//! Links the plugin with `-z nodelete`: a DAW may `dlclose` it, but Rust's thread-locals
//! register thread-exit destructors on the DAW's threads, which would then jump into
//! unmapped code when those threads end. Keeping the code mapped makes unloading harmless.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}
