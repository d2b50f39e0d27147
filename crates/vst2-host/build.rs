//! Compiles the C++ catch-all the calls into plugins go through (`cpp/guard.cpp`).

fn main() {
    println!("cargo:rerun-if-changed=cpp/guard.cpp");
    cc::Build::new()
        .cpp(true)
        .file("cpp/guard.cpp")
        .flag_if_supported("-fexceptions")
        .warnings(true)
        .compile("vstbridge_guard");
}
