//! Loading things that are not loadable plugins fails with a typed error whose message names
//! the problem, and never panics: a missing file, a directory, a text file, a library with
//! no entry point, and a plugin of the other architecture (on Linux and, under Wine, on
//! Windows).

use std::sync::Arc;

use vst2_host::{Architecture, DefaultHost, LoadError, Plugin};
use vstbridge_test_support::{real_plugin_for, test_plugin, test_plugin_for_triple};

fn load(path: &std::path::Path) -> LoadError {
    Plugin::load(path, Arc::new(DefaultHost)).expect_err("loading must fail")
}

#[test]
fn missing_file_is_not_found() {
    let error = load(std::path::Path::new("/nonexistent/Nothing.so"));
    assert!(matches!(error, LoadError::NotFound(_)), "{error:?}");
    assert!(error.to_string().contains("does not exist"), "{error}");
}

#[test]
fn directory_is_not_a_file() {
    let error = load(&std::env::temp_dir());
    assert!(matches!(error, LoadError::NotAFile(_)), "{error:?}");
}

#[test]
fn text_file_is_not_a_plugin_binary() {
    let path = std::env::temp_dir().join(format!("vstbridge-not-a-plugin-{}.so", std::process::id()));
    std::fs::write(&path, "this is a text file, not a plugin\n").unwrap();
    let error = load(&path);
    std::fs::remove_file(&path).ok();
    assert!(matches!(error, LoadError::Binary(_)), "{error:?}");
    assert!(error.to_string().contains("not a plugin binary"), "{error}");
}

#[test]
fn library_without_entry_point_is_reported() {
    // A system library of this architecture that exports no VST entry point: libm on
    // Linux, kernel32 on Windows (a 32-bit process under WoW64 is shown syswow64's).
    let library = if cfg!(windows) {
        r"C:\windows\system32\kernel32.dll"
    } else if cfg!(target_arch = "x86") {
        "/lib/i386-linux-gnu/libm.so.6"
    } else {
        "/lib/x86_64-linux-gnu/libm.so.6"
    };
    let error = load(std::path::Path::new(library));
    assert!(matches!(error, LoadError::MissingEntryPoint(_)), "{error:?}");
    assert!(error.to_string().contains("neither VSTPluginMain nor main"), "{error}");
}

#[test]
fn plugin_of_the_other_architecture_names_both_architectures() {
    let (other_arch, plugin_bits, host_bits) = if cfg!(target_arch = "x86") {
        ("amd64", "64-bit", "32-bit")
    } else {
        ("i386", "32-bit", "64-bit")
    };
    // On Windows, our own test plugin built for the other Windows target.
    let other = if cfg!(windows) {
        let triple = if cfg!(target_arch = "x86") {
            "x86_64-pc-windows-gnu"
        } else {
            "i686-pc-windows-gnu"
        };
        test_plugin_for_triple(triple, "gain")
    } else {
        real_plugin_for(other_arch, "Kars-vst.so")
    };
    let error = load(&other);
    match &error {
        LoadError::WrongArchitecture { plugin, host, .. } => {
            assert_eq!(*host, Architecture::current());
            assert_ne!(plugin, host);
        }
        other => panic!("expected WrongArchitecture, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(&format!("this is a {plugin_bits}"))
            && message.contains(&format!("this process is {host_bits}")),
        "{message}"
    );
}

#[test]
fn own_test_plugin_loads_through_vstpluginmain() {
    let plugin = Plugin::load(test_plugin("gain"), Arc::new(DefaultHost)).expect("gain loads");
    assert_eq!(plugin.entry_point(), "VSTPluginMain");
}
