//! Windows plugins in a Linux DAW: DawDreamer, a Linux JUCE host, loads the Linux proxy
//! bridged to the x64 and x86 Windows builds of Debian's dpf plugins (cross-built by
//! `cargo xtask fetch-plugins`), which the Windows server runs under Wine. What the host
//! renders, reads and saves must be what the plugins' Linux amd64 builds give it loaded
//! directly; a Wine server stopped or killed mid-render must cost the host no more than its
//! budgets, the plugin must come back, and no server may outlive the host.
//!
//! Ignored in a plain `cargo test`: `cargo xtask test` runs them (`--include-ignored`) after
//! the Windows builds, with Wine's environment (the prefix under `target/wine-prefix`), and
//! fails unless every one passed. The servers come from the bridge folder's
//! `windows-<arch>/`.
#![cfg(target_os = "linux")]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vstbridge_test_support::{
    PATIENT_OPTIONS, assert_texts_alike, dawdreamer_params, dawdreamer_python, dawdreamer_render, dawdreamer_script,
    install_proxy_with, max_difference, peak, real_plugin_for, run_dawdreamer, windows_plugin,
};

/// −100 dB of the peak: the x64 builds match Linux amd64 bit for bit under Wine 8, the x86
/// ones within −140 dB (see the Wine reference); any real change is far above this.
const TOLERANCE: f32 = 1e-5;
/// The shipped `hang_timeout_ms`.
const HANG_TIMEOUT: f64 = 2.0;

fn linux_build(stem: &str) -> PathBuf {
    real_plugin_for("amd64", &format!("{stem}.so"))
}

fn windows_build(arch: &str, stem: &str) -> PathBuf {
    windows_plugin(arch, &format!("{stem}.dll"))
}

#[test]
#[ignore = "needs Wine and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn dawdreamer_renders_windows_dpf_dlls_through_the_linux_proxy_like_their_linux_builds() {
    for (stem, sets) in [
        ("MaBitcrush-vst", vec!["--set", "0=0.3"]),
        ("3BandEQ-vst", vec!["--set", "0=0.9", "--set", "3=0.7"]),
    ] {
        let expected = dawdreamer_render(&linux_build(stem), &sets);
        assert!(peak(&expected) > 0.01, "{stem} rendered silence directly");
        for arch in ["x86_64", "i686"] {
            let got = dawdreamer_render(&install_proxy_with(&windows_build(arch, stem), PATIENT_OPTIONS), &sets);
            let difference = max_difference(&expected, &got);
            println!("{stem} ({arch} DLL under Wine): max difference {difference:e}");
            assert!(
                difference <= TOLERANCE * peak(&expected).max(1.0),
                "{stem} ({arch} DLL under Wine): max difference {difference} from the Linux build"
            );
        }
    }
}

/// Whether this machine's Wine lets a Windows program make Linux system calls (the futex
/// doorbell); the server decides the same from `wine_get_version`.
fn wine_allows_the_futex() -> bool {
    let output = Command::new("wine").arg("--version").output().expect("wine runs");
    let version = String::from_utf8_lossy(&output.stdout);
    let number = version.trim().trim_start_matches("wine-");
    let mut parts = number.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) < (11, 5) && !version.to_ascii_lowercase().contains("proton")
}

#[test]
#[ignore = "needs Wine and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn every_doorbell_renders_the_same_and_the_defaults_are_the_futex_for_x64_and_pipes_for_x86() {
    let sets = ["--set", "0=0.9", "--set", "3=0.7", "--block", "512"];
    let allowed = wine_allows_the_futex();
    let mut renders = Vec::new();
    for (arch, options, futex) in [
        ("x86_64", "", allowed),
        ("x86_64", "wine_doorbell = \"pipe\"\n", false),
        ("i686", "", false),
        ("i686", "wine_doorbell = \"futex\"\n", allowed),
    ] {
        let proxy = install_proxy_with(
            &windows_build(arch, "3BandEQ-vst"),
            &format!("{PATIENT_OPTIONS}{options}"),
        );
        let out = vstbridge_test_support::scratch_file(&format!("doorbell-{}.f32", renders.len()));
        let mut args = vec![
            "render".to_owned(),
            proxy.display().to_string(),
            out.display().to_string(),
        ];
        args.extend(sets.iter().map(|s| (*s).to_owned()));
        let run = run_dawdreamer(&args, None);
        // The server says which doorbell it took, and the proxy logs what its server says.
        assert!(
            run.log.contains(&format!("futex={futex}")),
            "{arch} with {options:?}: the server did not take the {} doorbell:\n{}",
            if futex { "futex" } else { "pipe" },
            run.log
        );
        renders.push(vstbridge_test_support::read_f32_file(&out));
        let _ = std::fs::remove_file(out);
    }
    assert!(peak(&renders[0]) > 0.01, "silence");
    for (index, render) in renders.iter().enumerate().skip(1) {
        assert!(
            render == &renders[0],
            "doorbell setting {index} rendered something else"
        );
    }
}

#[test]
#[ignore = "needs Wine and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn dawdreamer_sees_the_windows_builds_parameters_names_and_state_as_the_linux_builds() {
    let sets = [(0, 0.9), (4, 0.1), (3, 0.25)];
    let (expected, expected_state) = dawdreamer_params(&linux_build("3BandEQ-vst"), &sets);
    for arch in ["x86_64", "i686"] {
        let proxy = install_proxy_with(&windows_build(arch, "3BandEQ-vst"), PATIENT_OPTIONS);
        let (got, got_state) = dawdreamer_params(&proxy, &sets);
        assert_eq!(expected["before"]["names"], got["before"]["names"], "{arch}: names");
        assert_eq!(expected["before"]["values"], got["before"]["values"], "{arch}: values");
        assert_eq!(
            expected["after"]["values"], got["after"]["values"],
            "{arch}: values after the changes"
        );
        for section in ["before", "after"] {
            let (e, g) = (
                expected[section]["texts"].as_array().unwrap(),
                got[section]["texts"].as_array().unwrap(),
            );
            assert_eq!(e.len(), g.len(), "{arch}: parameter count");
            for (index, (e, g)) in e.iter().zip(g).enumerate() {
                // Printed by the same dpf code with another C runtime's printf.
                assert_texts_alike(e, g, false, &format!("{arch}: {section} text of parameter {index}"));
            }
        }
        assert_eq!(expected_state, got_state, "{arch}: the state DawDreamer saved");
    }
}

#[test]
#[ignore = "needs Wine and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn dawdreamer_plays_on_when_the_wine_server_is_stopped_or_killed_and_the_plugin_comes_back() {
    let plugin = windows_build("i686", "MaBitcrush-vst");
    // Stopped (SIGSTOP): every call returns within the hang timeout, then a new server.
    let run = run_dawdreamer(
        &[
            "stall".to_owned(),
            install_proxy_with(&plugin, "").display().to_string(),
        ],
        None,
    );
    for key in ["text_seconds", "description_seconds", "render_seconds"] {
        let seconds = run.findings[key].as_f64().unwrap();
        println!("stopped: {key} {seconds:.3} s");
        assert!(
            seconds <= HANG_TIMEOUT + 0.5,
            "{key} took {seconds} s with the server stopped"
        );
    }
    assert_eq!(
        run.findings["restarted"], true,
        "no new server after the stop:\n{}",
        run.log
    );
    assert!(
        run.findings["peak_after"].as_f64().unwrap() > 0.01,
        "silent after the restart"
    );

    // Killed while the host is inside a render: that render call ends within the block
    // deadline's floor (100 ms) and a little, and the plugin plays again.
    let run = run_dawdreamer(
        &[
            "kill-mid-render".to_owned(),
            install_proxy_with(&plugin, "").display().to_string(),
        ],
        None,
    );
    let findings = &run.findings;
    println!("killed: {findings}");
    assert_eq!(
        findings["killed_inside_a_render"], true,
        "the kill missed every render: {findings}"
    );
    let slowest = findings["slowest_render_seconds"].as_f64().unwrap();
    assert!(slowest < 0.5, "a render call took {slowest} s around the kill");
    assert_eq!(
        findings["restarted"], true,
        "no new server after the kill:\n{}",
        run.log
    );
    assert!(
        findings["peak_after"].as_f64().unwrap() > 0.01,
        "silent after the restart"
    );
}

/// The processes whose command line says they serve the host `pid` (`--parent-pid PID`).
fn servers_of(pid: u32) -> Vec<u32> {
    let wanted = format!("--parent-pid\0{pid}\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|candidate| {
            std::fs::read(format!("/proc/{candidate}/cmdline"))
                .is_ok_and(|line| String::from_utf8_lossy(&line).contains(&wanted))
        })
        .collect()
}

#[test]
#[ignore = "needs Wine and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn the_wine_servers_of_a_killed_host_end_with_it() {
    let proxies: Vec<PathBuf> = ["x86_64", "i686"]
        .iter()
        .map(|arch| install_proxy_with(&windows_build(arch, "MaBitcrush-vst"), PATIENT_OPTIONS))
        .collect();
    for proxy in &proxies {
        let mut host = Command::new(dawdreamer_python())
            .arg(dawdreamer_script())
            .arg("hold")
            .arg(proxy)
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(host.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let held: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("no JSON: {line:?}"));
        let pid = held["pid"].as_u64().unwrap() as u32;
        let servers = servers_of(pid);
        assert_eq!(
            servers.len(),
            1,
            "{}: the host runs one Wine server: {held}",
            proxy.display()
        );
        host.kill().unwrap();
        host.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        while !servers_of(pid).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            servers_of(pid).is_empty(),
            "{}: the Wine server {servers:?} outlived its host by 3 s",
            proxy.display()
        );
    }
}

#[test]
#[ignore = "needs Wine and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn a_windows_plugin_with_a_prefix_that_cannot_run_it_fails_to_load_with_the_reason() {
    // An uninitialised prefix: the proxy refuses before starting anything, and says what to
    // run. The host sees a plugin that failed to load (JUCE throws), and the log tells why.
    let empty = vstbridge_test_support::scratch_file("empty-prefix");
    std::fs::create_dir_all(&empty).unwrap();
    let proxy = install_proxy_with(
        &windows_build("i686", "MaBitcrush-vst"),
        &format!("wine_prefix = {:?}\n", empty.display().to_string()),
    );
    let log = vstbridge_test_support::scratch_file("empty-prefix.log");
    let output = Command::new(dawdreamer_python())
        .arg(dawdreamer_script())
        .arg("hold")
        .arg(&proxy)
        .env("VSTBRIDGE_LOG_FILE", &log)
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "the plugin loaded with an empty prefix");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("is not initialised") && logged.contains("wineboot --init"),
        "the log does not say what to run:\n{logged}"
    );
    assert!(
        Path::new(&empty).read_dir().unwrap().next().is_none(),
        "the prefix was touched"
    );
}

/// Runs `vstbridge ARGS` with the test bridge; its stdout (it must succeed).
fn vstbridge(args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(vstbridge_test_support::build_dir().join("vstbridge"))
        .args(args)
        .arg("--dist")
        .arg(vstbridge_test_support::bridge_dir())
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

/// Runs `vstbridge sync SOURCE --into DAW` (with `extra`); its stdout.
fn sync(source: &Path, daw: &Path, extra: &[&str]) -> String {
    let mut args = vec!["sync".as_ref(), source.as_os_str(), "--into".as_ref(), daw.as_os_str()];
    args.extend(extra.iter().map(|arg| std::ffi::OsStr::new(*arg)));
    vstbridge(&args)
}

#[test]
#[ignore = "needs Wine and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn vstbridge_probe_describes_windows_dlls_as_their_linux_builds_are_described() {
    let probe = |plugin: &Path| -> serde_json::Value {
        serde_json::from_str(&vstbridge(&["probe".as_ref(), "--json".as_ref(), plugin.as_os_str()])).unwrap()
    };
    let linux = probe(&linux_build("3BandEQ-vst"));
    for arch in ["x86_64", "i686"] {
        let windows = probe(&windows_build(arch, "3BandEQ-vst"));
        assert_eq!(windows["status"], "ok", "{windows}");
        assert_eq!(windows["under_wine"], true, "{windows}");
        assert_eq!(windows["architecture"], arch, "{windows}");
        for key in ["name", "vendor", "unique_id", "inputs", "outputs"] {
            assert_eq!(windows[key], linux[key], "{arch}: {key}");
        }
        let names = |report: &serde_json::Value| -> Vec<serde_json::Value> {
            report["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].clone())
                .collect()
        };
        assert!(!names(&linux).is_empty());
        assert_eq!(names(&windows), names(&linux), "{arch}: parameter names");
    }
}

#[test]
#[ignore = "needs Wine and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn vstbridge_sync_bridges_a_folder_of_windows_dlls_idempotently_and_prunes_the_gone() {
    let (source, daw) = (
        vstbridge_test_support::scratch_file("sync-dlls"),
        vstbridge_test_support::scratch_file("sync-daw"),
    );
    for dir in [source.join("x86"), source.join("x64"), daw.clone()] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let bitcrush = source.join("x86").join("MaBitcrush-vst.dll");
    std::fs::copy(windows_build("i686", "MaBitcrush-vst"), &bitcrush).unwrap();
    std::fs::copy(
        windows_build("x86_64", "3BandEQ-vst"),
        source.join("x64").join("3BandEQ-vst.dll"),
    )
    .unwrap();

    let first = sync(&source, &daw, &[]);
    assert_eq!(first.lines().filter(|l| l.starts_with("added")).count(), 2, "{first}");
    for stem in ["MaBitcrush-vst", "3BandEQ-vst"] {
        assert!(daw.join(format!("{stem}.so")).is_file(), "no proxy for {stem}: {first}");
        let sidecar = std::fs::read_to_string(daw.join(format!("{stem}.vstbridge.toml"))).unwrap();
        assert!(sidecar.contains(&format!("{stem}.dll")), "{sidecar}");
    }
    // The synced proxy is what a DAW scans: it plays the Windows plugin like its Linux build.
    let sets = ["--set", "0=0.3"];
    assert!(
        dawdreamer_render(&daw.join("MaBitcrush-vst.so"), &sets)
            == dawdreamer_render(&linux_build("MaBitcrush-vst"), &sets),
        "the synced proxy does not play like the plugin"
    );

    let second = sync(&source, &daw, &[]);
    assert_eq!(
        second.lines().filter(|l| l.starts_with("unchanged")).count(),
        2,
        "{second}"
    );
    assert!(!second.contains("added") && !second.contains("updated"), "{second}");

    std::fs::remove_file(&bitcrush).unwrap();
    let pruned = sync(&source, &daw, &["--prune"]);
    assert!(
        pruned
            .lines()
            .any(|l| l.starts_with("removed") && l.contains("MaBitcrush-vst")),
        "{pruned}"
    );
    assert!(!daw.join("MaBitcrush-vst.so").exists(), "{pruned}");
    assert!(daw.join("3BandEQ-vst.so").is_file(), "{pruned}");
}
