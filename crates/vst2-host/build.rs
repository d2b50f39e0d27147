//! Compiles the C++ catch-all the calls into plugins go through (`cpp/guard.cpp`).

fn main() {
    println!("cargo:rerun-if-changed=cpp/guard.cpp");
    let windows_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file("cpp/guard.cpp")
        .flag_if_supported("-fexceptions")
        .warnings(true);
    if windows_gnu {
        // mingw's C++ runtime linked in, not as libstdc++-6.dll beside every program and
        // plugin DLL (a Windows DAW's folder has none).
        build.cpp_link_stdlib(None);
        let compiler = build.get_compiler();
        let archive = std::process::Command::new(compiler.path())
            .arg("-print-file-name=libstdc++.a")
            .output()
            .expect("the C++ compiler says where its libstdc++.a is");
        let archive = std::path::PathBuf::from(String::from_utf8_lossy(&archive.stdout).trim());
        if let Some(folder) = archive.parent().filter(|_| archive.is_absolute()) {
            println!("cargo:rustc-link-search=native={}", folder.display());
        }
        println!("cargo:rustc-link-lib=static=stdc++");
    }
    build.compile("vstbridge_guard");
}
