//! `vstbridge sync` with our own test plugins, on Linux and as a Windows program under Wine:
//! the plugins of the other width get a proxy and a sidecar in the DAW's folder, the synced
//! proxy plays like the plugin loaded directly, and a second sync changes nothing.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use vst2_host::{DefaultHost, Plugin};
use vstbridge_test_support::{I686_TRIPLE, X86_64_TRIPLE, bridge_dir, sine, test_plugin, test_plugin_for_triple};

const SUFFIX: &str = std::env::consts::DLL_SUFFIX;

fn sync(source: &PathBuf, daw: &PathBuf) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_vstbridge"))
        .arg("sync")
        .arg(source)
        .arg("--into")
        .arg(daw)
        .arg("--dist")
        .arg(bridge_dir())
        .env("VSTBRIDGE_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vstbridge-sync-own-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn block(plugin: &Plugin) -> Vec<f32> {
    plugin.start(48_000.0, 256);
    plugin.set_parameter(0, 0.3);
    let input = sine(440.0, 48_000.0, 0.5, 256);
    let (mut left, mut right) = (vec![0.0f32; 256], vec![0.0f32; 256]);
    plugin
        .process_replacing(&[&input, &input], &mut [&mut left, &mut right], 256)
        .unwrap();
    [left, right].concat()
}

#[test]
fn sync_bridges_the_other_widths_plugins_and_a_second_sync_changes_nothing() {
    let other = if cfg!(target_pointer_width = "64") {
        I686_TRIPLE
    } else {
        X86_64_TRIPLE
    };
    let source = temp_dir("source");
    let gain = test_plugin_for_triple(other, "gain");
    std::fs::copy(&gain, source.join(gain.file_name().unwrap())).unwrap();
    let synth = test_plugin_for_triple(other, "synth");
    std::fs::copy(&synth, source.join(synth.file_name().unwrap())).unwrap();
    // A plugin of this width needs no bridge, so sync leaves it out by default.
    std::fs::copy(test_plugin("gain"), source.join(format!("native_gain{SUFFIX}"))).unwrap();
    let daw = temp_dir("daw");

    let first = sync(&source, &daw);
    assert_eq!(first.lines().filter(|l| l.starts_with("added")).count(), 2, "{first}");
    assert!(!first.contains("native_gain"), "{first}");
    let proxy = daw.join(gain.file_name().unwrap());
    assert!(proxy.is_file(), "{first}");

    let bridged = Plugin::load(&proxy, Arc::new(DefaultHost)).expect("the synced proxy loads");
    let direct = Plugin::load(test_plugin("gain"), Arc::new(DefaultHost)).unwrap();
    assert_eq!(
        block(&bridged),
        block(&direct),
        "the synced proxy plays like the plugin"
    );
    drop(bridged);

    let second = sync(&source, &daw);
    assert_eq!(
        second.lines().filter(|l| l.starts_with("unchanged")).count(),
        2,
        "{second}"
    );
    assert!(!second.contains("added") && !second.contains("updated"), "{second}");
    let _ = std::fs::remove_dir_all(&source);
    let _ = std::fs::remove_dir_all(&daw);
}
