//! Loading things that are not loadable plugins fails with a typed error whose message names
//! the problem, and never panics: a missing file, a directory, a text file, a library with
//! no entry point, and a plugin of the other architecture.

use std::sync::Arc;

use vst2_host::{Architecture, DefaultHost, LoadError, Plugin};
use vstbridge_test_support::{real_plugin_for, test_plugin};

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
    // The support crate's test binary dir holds plenty of shared objects; libm is on every
    // Linux system for both architectures and exports no VST entry point.
    let libm = if cfg!(target_arch = "x86") {
        "/lib/i386-linux-gnu/libm.so.6"
    } else {
        "/lib/x86_64-linux-gnu/libm.so.6"
    };
    let error = load(std::path::Path::new(libm));
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
    let error = load(&real_plugin_for(other_arch, "Kars-vst.so"));
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
