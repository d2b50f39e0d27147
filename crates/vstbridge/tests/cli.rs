//! The `vstbridge` command against real plugins, run as a new user would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use vst2_host::{DefaultHost, Plugin};
use vstbridge_test_support::{bridge_dir, real_plugin_for, rms, sine, test_plugin};

fn vstbridge(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vstbridge"));
    command
        .args(args)
        .arg("--dist")
        .arg(bridge_dir())
        .env("VSTBRIDGE_LOG", "warn");
    command
}

/// An environment variable for the command.
type EnvVar = (&'static str, &'static str);

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vstbridge-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Servers still running for `plugin` (none may outlive a command).
fn servers_for(plugin: &Path) -> usize {
    let needle = plugin.display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains("vstbridge-server") && cmdline.contains(&needle))
        .count()
}

#[test]
fn probe_describes_a_32_bit_real_plugin_and_our_own() {
    let freeverb = real_plugin_for("i386", "MaFreeverb-vst.so");
    let output = vstbridge(&["probe", "--json"]).arg(&freeverb).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report = json(&output);
    assert_eq!(report["status"], "ok");
    assert_eq!(
        (report["architecture"].as_str(), report["needs_bridge"].as_bool()),
        (Some("i686"), Some(true))
    );
    assert_eq!(
        (report["name"].as_str(), report["entry_point"].as_str()),
        (Some("MaFreeverb"), Some("main"))
    );
    assert_eq!(report["parameters"].as_array().map(Vec::len), Some(4));
    let gain = json(
        &vstbridge(&["probe", "--json"])
            .arg(test_plugin("gain"))
            .output()
            .unwrap(),
    );
    assert_eq!(
        (
            gain["status"].as_str(),
            gain["needs_bridge"].as_bool(),
            gain["name"].as_str()
        ),
        (Some("ok"), Some(false), Some("Gain"))
    );
    let text = vstbridge(&["probe"]).arg(&freeverb).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("'DMfv'") && text.contains("needs the bridge"), "{text}");
}

#[test]
fn probe_reports_bad_files_crashes_and_hangs_clearly_and_leaves_nothing_running() {
    let text_file = temp_dir("probe").join("Notes.so");
    std::fs::write(&text_file, "just text").unwrap();
    let cases: [(PathBuf, &[EnvVar], &str); 4] = [
        (text_file.clone(), &[], "not_a_plugin"),
        (PathBuf::from("/nonexistent/Missing.so"), &[], "not_found"),
        (test_plugin("crash"), &[("VSTBRIDGE_TEST_CRASH_AT", "entry")], "crashed"),
        (test_plugin("hang"), &[("VSTBRIDGE_TEST_HANG_AT", "entry")], "timed_out"),
    ];
    for (plugin, env, expected) in cases {
        let output = vstbridge(&["probe", "--json", "--timeout", "2"])
            .arg(&plugin)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{} must fail", plugin.display());
        let report = json(&output);
        assert_eq!(report["status"], expected, "{report}");
        assert!(!report["message"].as_str().unwrap_or("").is_empty());
        assert_eq!(
            servers_for(&plugin),
            0,
            "a server for {} is still running",
            plugin.display()
        );
    }
}

#[test]
fn sync_installs_proxies_that_play_leaves_them_alone_and_prunes_only_the_gone() {
    let source = temp_dir("sync-source");
    for file in ["Kars-vst.so", "MaFreeverb-vst.so", "3BandEQ-vst.so"] {
        std::fs::copy(real_plugin_for("i386", file), source.join(file)).unwrap();
    }
    std::fs::copy(
        real_plugin_for("amd64", "MaBitcrush-vst.so"),
        source.join("MaBitcrush-vst.so"),
    )
    .unwrap();
    let daw = temp_dir("sync-daw");
    let first = vstbridge(&["sync"])
        .arg(&source)
        .arg("--into")
        .arg(&daw)
        .output()
        .unwrap();
    let first = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(first.lines().filter(|l| l.starts_with("added")).count(), 3, "{first}");
    assert!(
        !first.contains("MaBitcrush"),
        "a 64-bit plugin needs no bridge by default: {first}"
    );

    let proxy = Plugin::load(daw.join("MaFreeverb-vst.so"), Arc::new(DefaultHost)).expect("the synced proxy loads");
    proxy.start(44_100.0, 512);
    let (input, mut output, mut tail) = (sine(440.0, 44_100.0, 0.5, 512), vec![0.0f32; 512], Vec::new());
    for block in 0..12 {
        let silence = vec![0.0f32; 512];
        proxy
            .process_replacing(&[if block < 4 { &input } else { &silence }], &mut [&mut output], 512)
            .unwrap();
        if block >= 6 {
            tail.extend_from_slice(&output);
        }
    }
    assert!(rms(&tail) > 1e-4, "the bridged 32-bit reverb plays");
    drop(proxy);

    let second = vstbridge(&["sync"])
        .arg(&source)
        .arg("--into")
        .arg(&daw)
        .output()
        .unwrap();
    let second = String::from_utf8_lossy(&second.stdout).into_owned();
    assert_eq!(
        second.lines().filter(|l| l.starts_with("unchanged")).count(),
        3,
        "{second}"
    );
    assert!(!second.contains("added") && !second.contains("updated"), "{second}");

    std::fs::remove_file(source.join("Kars-vst.so")).unwrap();
    let pruned = vstbridge(&["sync", "--prune"])
        .arg(&source)
        .arg("--into")
        .arg(&daw)
        .output()
        .unwrap();
    let pruned = String::from_utf8_lossy(&pruned.stdout).into_owned();
    assert_eq!(
        pruned.lines().filter(|l| l.starts_with("removed")).collect::<Vec<_>>(),
        ["removed    Kars-vst.so"],
        "{pruned}"
    );
    assert!(!daw.join("Kars-vst.so").exists() && daw.join("MaFreeverb-vst.so").exists());

    let foreign = temp_dir("sync-foreign");
    std::fs::write(foreign.join("3BandEQ-vst.so"), "someone else's file").unwrap();
    let output = vstbridge(&["sync"])
        .arg(&source)
        .arg("--into")
        .arg(&foreign)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("skipped    3BandEQ-vst.so"));
    assert_eq!(
        std::fs::read_to_string(foreign.join("3BandEQ-vst.so")).unwrap(),
        "someone else's file"
    );
}

#[test]
fn render_of_the_32_bit_reverb_matches_the_64_bit_build_rendered_directly() {
    let dir = temp_dir("render");
    let input = dir.join("in.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(&input, spec).unwrap();
    for sample in sine(330.0, 44_100.0, 0.6, 22_050) {
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
    let render = |plugin: PathBuf, mode: &str, output: &Path| {
        let (input, output_arg, plugin) = (
            input.display().to_string(),
            output.display().to_string(),
            plugin.display().to_string(),
        );
        let args = [
            "render",
            "--mode",
            mode,
            "--tail",
            "0.5",
            "--param",
            "spread=0.5",
            "-i",
            &input,
            "-o",
            &output_arg,
            &plugin,
        ];
        let status = vstbridge(&args).status().unwrap();
        assert!(status.success());
        let mut reader = hound::WavReader::open(output).unwrap();
        reader.samples::<f32>().map(Result::unwrap).collect::<Vec<f32>>()
    };
    let bridged = render(
        real_plugin_for("i386", "MaFreeverb-vst.so"),
        "bridged",
        &dir.join("bridged.wav"),
    );
    let direct = render(
        real_plugin_for("amd64", "MaFreeverb-vst.so"),
        "direct",
        &dir.join("direct.wav"),
    );
    assert_eq!(bridged.len(), 22_050 + 22_050);
    let difference = bridged
        .iter()
        .zip(&direct)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(difference <= 1e-6, "max difference {difference:e}");
    assert!(rms(&bridged[30_000..]) > 1e-4, "the tail rings");
}

#[test]
fn scan_summarises_a_folder() {
    let dir = temp_dir("scan");
    std::fs::copy(test_plugin("gain"), dir.join("Gain.so")).unwrap();
    std::fs::copy(real_plugin_for("i386", "Kars-vst.so"), dir.join("Kars-vst.so")).unwrap();
    std::fs::write(dir.join("Readme.so"), "text").unwrap();
    let output = vstbridge(&["scan", "--json", "--jobs", "2"])
        .arg(&dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let reports = json(&output);
    let status_of = |name: &str| {
        let report = reports
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().unwrap_or("").ends_with(name))
            .unwrap();
        (
            report["status"].as_str().unwrap().to_owned(),
            report["needs_bridge"].as_bool().unwrap(),
        )
    };
    assert_eq!(status_of("Gain.so"), ("ok".to_owned(), false));
    assert_eq!(status_of("Kars-vst.so"), ("ok".to_owned(), true));
    assert_eq!(status_of("Readme.so").0, "not_a_plugin");
    // A second scan comes from the cache and says the same.
    let again = vstbridge(&["scan", "--json"])
        .arg(&dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .unwrap();
    assert_eq!(json(&again), reports);
    let table = vstbridge(&["scan"])
        .arg(&dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("3 plugins: 1 needs bridge, 1 not a plugin, 1 ok"));
}

#[test]
fn demo_bridges_the_32_bit_synth_and_matches_its_64_bit_build() {
    let output_file = temp_dir("demo").join("demo.wav");
    let output = Command::new(env!("CARGO_BIN_EXE_vstbridge"))
        .args(["demo", "-o"])
        .arg(&output_file)
        .env("VSTBRIDGE_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("32-bit (i686)") && stdout.contains("identical, sample for sample"),
        "{stdout}"
    );
    let mut reader = hound::WavReader::open(&output_file).unwrap();
    let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
    assert!(rms(&samples) > 0.01, "the demo is audible");
}
