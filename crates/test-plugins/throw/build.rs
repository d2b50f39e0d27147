//! Compiles the plugin itself (`cpp/plugin.cpp`, against the project's C header).

fn main() {
    println!("cargo:rerun-if-changed=cpp/plugin.cpp");
    println!("cargo:rerun-if-changed=../../../include/vst2.h");
    cc::Build::new()
        .cpp(true)
        .file("cpp/plugin.cpp")
        .include("../../../include")
        .compile("throwing_plugin");
}
