//! The `vstbridge` command with our own test plugins, on Linux and as a Windows program under
//! Wine (`vstbridge.exe`): `sync` gives the plugins of the other width a proxy and a sidecar
//! in the DAW's folder, the synced proxy plays like the plugin loaded directly, and a second
//! sync changes nothing; `probe`, `scan` and `render` handle the other width's plugin.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use vst2_host::{DefaultHost, Plugin};
use vstbridge_test_support::{I686_TRIPLE, X86_64_TRIPLE, bridge_dir, sine, test_plugin, test_plugin_for_triple};

const SUFFIX: &str = std::env::consts::DLL_SUFFIX;

/// Runs `vstbridge ARGS --dist <the test bridge>`; its stdout (it must succeed).
fn vstbridge(args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_vstbridge"))
        .args(args)
        .arg("--dist")
        .arg(bridge_dir())
        .env("VSTBRIDGE_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "vstbridge {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn sync(source: &PathBuf, daw: &PathBuf) -> String {
    vstbridge(&["sync".as_ref(), source.as_ref(), "--into".as_ref(), daw.as_ref()])
}

/// The other width's Rust target: the plugins that need the bridge here.
fn other_width() -> &'static str {
    if cfg!(target_pointer_width = "64") {
        I686_TRIPLE
    } else {
        X86_64_TRIPLE
    }
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

#[test]
fn probe_scan_and_render_handle_the_other_widths_plugin() {
    let gain = test_plugin_for_triple(other_width(), "gain");
    let report: serde_json::Value =
        serde_json::from_str(&vstbridge(&["probe".as_ref(), "--json".as_ref(), gain.as_ref()])).unwrap();
    assert_eq!(
        (
            report["status"].as_str(),
            report["needs_bridge"].as_bool(),
            report["name"].as_str()
        ),
        (Some("ok"), Some(true), Some("Gain")),
        "{report}"
    );

    let folder = temp_dir("scan");
    std::fs::copy(&gain, folder.join(format!("other_gain{SUFFIX}"))).unwrap();
    std::fs::copy(test_plugin("gain"), folder.join(format!("native_gain{SUFFIX}"))).unwrap();
    std::fs::write(folder.join(format!("Readme{SUFFIX}")), "text").unwrap();
    let reports: serde_json::Value =
        serde_json::from_str(&vstbridge(&["scan".as_ref(), "--json".as_ref(), folder.as_ref()])).unwrap();
    let status_of = |name: &str| {
        let report = reports
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().unwrap_or("").ends_with(&format!("{name}{SUFFIX}")))
            .unwrap_or_else(|| panic!("{name} is in the scan: {reports}"));
        (
            report["status"].as_str().unwrap_or("").to_owned(),
            report["needs_bridge"].as_bool(),
        )
    };
    assert_eq!(status_of("other_gain"), ("ok".to_owned(), Some(true)));
    assert_eq!(status_of("native_gain"), ("ok".to_owned(), Some(false)));
    assert_eq!(status_of("Readme").0, "not_a_plugin");

    // The other width's gain rendered through the bridge equals this width's rendered here.
    let input = folder.join("in.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(&input, spec).unwrap();
    for sample in sine(330.0, 48_000.0, 0.6, 9_600) {
        writer.write_sample(sample).unwrap();
        writer.write_sample(-sample).unwrap();
    }
    writer.finalize().unwrap();
    let render = |plugin: &PathBuf, mode: &str, name: &str| {
        let output = folder.join(name);
        vstbridge(&[
            "render".as_ref(),
            "--mode".as_ref(),
            mode.as_ref(),
            "-i".as_ref(),
            input.as_ref(),
            "-o".as_ref(),
            output.as_ref(),
            plugin.as_ref(),
        ]);
        hound::WavReader::open(&output)
            .unwrap()
            .samples::<f32>()
            .map(Result::unwrap)
            .collect::<Vec<f32>>()
    };
    let bridged = render(&gain, "bridged", "bridged.wav");
    let direct = render(&test_plugin("gain"), "direct", "direct.wav");
    assert_eq!(bridged.len(), 2 * 9_600);
    assert!(bridged == direct, "the bridged rendering differs from the direct one");
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
#[cfg(target_os = "linux")]
fn sync_for_a_32_bit_daw_gives_its_64_bit_plugins_the_32_bit_proxy() {
    let source = temp_dir("source-for-i686");
    let x86_64 = test_plugin_for_triple(X86_64_TRIPLE, "gain");
    std::fs::copy(&x86_64, source.join("gain64.so")).unwrap();
    std::fs::copy(test_plugin_for_triple(I686_TRIPLE, "gain"), source.join("gain32.so")).unwrap();
    let daw = temp_dir("daw-i686");
    let report = vstbridge(&[
        "sync".as_ref(),
        source.as_ref(),
        "--into".as_ref(),
        daw.as_ref(),
        "--daw-arch".as_ref(),
        "i686".as_ref(),
    ]);
    // A 32-bit plugin needs no bridge in a 32-bit DAW; the 64-bit one gets the i686 proxy.
    assert!(report.contains("added") && report.contains("gain64.so"), "{report}");
    assert!(!report.contains("gain32"), "{report}");
    let proxy = std::fs::read(daw.join("gain64.so")).unwrap();
    assert_eq!(proxy.get(4), Some(&1), "the installed proxy is not a 32-bit ELF");
    assert!(
        proxy == std::fs::read(bridge_dir().join("vstbridge-proxy-i686.so")).unwrap(),
        "the installed proxy is not vstbridge-proxy-i686.so"
    );
    let _ = std::fs::remove_dir_all(&source);
    let _ = std::fs::remove_dir_all(&daw);
}
