//! What a DAW sees when bridging cannot work: the proxy's entry point returns NULL ("plugin
//! failed to load") after logging why, quickly, and leaves no server behind; and a plugin
//! that crashes mid-session leaves the DAW running with silence and neutral answers.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vst2_host::{DefaultHost, LoadError, Plugin};
use vstbridge_test_support::{SAMPLE_RATE, bridge_dir, install_proxy, load_bridged, sine, test_plugin};

/// Loads a proxy whose sidecar holds `sidecar`, returning the error.
fn load_with_sidecar(stem: &str, sidecar: &str) -> LoadError {
    let proxy = install_proxy(Path::new(&format!("/nonexistent/{stem}.so")));
    std::fs::write(proxy.with_file_name(format!("{stem}.vstbridge.toml")), sidecar).unwrap();
    let started = Instant::now();
    let result = Plugin::load(&proxy, Arc::new(DefaultHost));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refusing took {:?}",
        started.elapsed()
    );
    std::fs::remove_dir_all(proxy.parent().unwrap()).ok();
    result.expect_err("the proxy must refuse to load")
}

fn server_dir() -> String {
    bridge_dir().display().to_string()
}

#[test]
fn missing_plugin_gives_a_null_effect() {
    let error = load_with_sidecar(
        "Missing",
        &format!(
            "plugin = \"/nonexistent/Missing.so\"\nserver_dir = {:?}\n",
            server_dir()
        ),
    );
    assert!(matches!(error, LoadError::NullEffect(_)), "{error:?}");
}

#[test]
fn text_file_plugin_gives_a_null_effect() {
    let text = std::env::temp_dir().join(format!("vstbridge-text-plugin-{}.so", std::process::id()));
    std::fs::write(&text, "not a plugin").unwrap();
    let error = load_with_sidecar(
        "Text",
        &format!(
            "plugin = {:?}\nserver_dir = {:?}\n",
            text.display().to_string(),
            server_dir()
        ),
    );
    std::fs::remove_file(&text).ok();
    assert!(matches!(error, LoadError::NullEffect(_)), "{error:?}");
}

#[test]
fn library_without_entry_point_is_refused_by_the_server() {
    let error = load_with_sidecar(
        "Libm",
        &format!(
            "plugin = \"/lib/i386-linux-gnu/libm.so.6\"\nserver_dir = {:?}\n",
            server_dir()
        ),
    );
    assert!(matches!(error, LoadError::NullEffect(_)), "{error:?}");
}

#[test]
fn malformed_sidecar_gives_a_null_effect() {
    let error = load_with_sidecar("Broken", "plugin = [this is not toml");
    assert!(matches!(error, LoadError::NullEffect(_)), "{error:?}");
}

#[test]
fn missing_server_gives_a_null_effect() {
    let plugin = test_plugin("gain").display().to_string();
    let error = load_with_sidecar(
        "NoServer",
        &format!("plugin = {plugin:?}\nserver_dir = \"/nonexistent\"\n"),
    );
    assert!(matches!(error, LoadError::NullEffect(_)), "{error:?}");
}

#[test]
fn a_plugin_crashing_in_process_leaves_the_host_running_with_silence() {
    let bridged = load_bridged(&test_plugin("crash"));
    let crash = &bridged.plugin;
    crash.start(SAMPLE_RATE, 64);
    let input = sine(440.0, SAMPLE_RATE, 0.5, 64);
    let (mut left, mut right) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    crash
        .process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)
        .unwrap();
    assert_eq!(left, input, "the crash plugin passes audio until triggered");
    crash.set_parameter(0, 1.0);
    let started = Instant::now();
    for _ in 0..10 {
        left.fill(1.0);
        crash
            .process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)
            .unwrap();
        assert!(left.iter().all(|&s| s == 0.0), "a dead plugin outputs silence");
    }
    assert_eq!(
        crash.parameter_name(0),
        "",
        "a dead plugin answers queries with neutral values"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "nothing waited long: {:?}",
        started.elapsed()
    );
}
