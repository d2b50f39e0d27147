//! The bridge seen through a real host: DawDreamer, a JUCE host, loading Debian's dpf
//! plugins (amd64 and i386) and our own test plugins directly and through a proxy, the way
//! a user would. What the host renders, reads and saves must be what it gets from the plugin
//! itself: bit for bit for amd64 and our plugins, within −120 dB of the peak for i386 builds
//! against their amd64 twins (x87 against SSE arithmetic, see `bridged_real_plugins.rs`).
//!
//! DawDreamer runs every scenario on one thread, which also processes audio (its
//! `make_plugin_processor` renders warm-up blocks on it): parameters set there with no block
//! after them are the case that used to be lost.

use std::path::{Path, PathBuf};

use serde_json::Value;
use vstbridge_test_support::{
    PATIENT_OPTIONS, Xvfb, assert_texts_alike, dawdreamer_params as params, dawdreamer_render as render,
    install_proxy_with, max_difference, peak, real_plugin_for, run_dawdreamer, scratch_file as scratch,
    test_plugin_for_triple, unique_number as rand_suffix,
};

const I686: &str = "i686-unknown-linux-gnu";
const X86_64: &str = "x86_64-unknown-linux-gnu";
/// −120 dB of the peak (at least full scale).
const I386_TOLERANCE: f32 = 1e-6;

fn bridged(plugin: &Path) -> PathBuf {
    install_proxy_with(plugin, PATIENT_OPTIONS)
}

fn our_plugin(triple: &str, name: &str) -> PathBuf {
    // Built for the host's triple, our plugins live in the plain profile directory.
    if triple == X86_64 {
        vstbridge_test_support::test_plugin(name)
    } else {
        test_plugin_for_triple(triple, name)
    }
}

/// Direct and bridged renders of the same plugin, with the same arguments.
fn assert_renders_alike(direct: &Path, bridged_target: &Path, extra: &[&str], tolerance: Option<f32>) {
    let expected = render(direct, extra);
    let got = render(&bridged(bridged_target), extra);
    assert!(peak(&expected) > 0.01, "{} rendered silence directly", direct.display());
    match tolerance {
        None => assert!(
            expected == got,
            "{} through the bridge differs from direct (max difference {})",
            bridged_target.display(),
            max_difference(&expected, &got)
        ),
        Some(tolerance) => {
            let limit = tolerance * peak(&expected).max(1.0);
            let difference = max_difference(&expected, &got);
            assert!(
                difference <= limit,
                "{}: max difference {difference} over {limit}",
                bridged_target.display()
            );
        }
    }
}

#[test]
fn dawdreamer_renders_bridged_amd64_dpf_plugins_bit_exact() {
    for (file, sets) in [
        ("MaBitcrush-vst.so", vec!["--set", "0=0.3"]),
        ("MaFreeverb-vst.so", vec![]),
        ("3BandEQ-vst.so", vec!["--set", "0=0.9", "--set", "3=0.7"]),
    ] {
        let plugin = real_plugin_for("amd64", file);
        assert_renders_alike(&plugin, &plugin, &sets, None);
    }
}

#[test]
fn dawdreamer_renders_bridged_i386_dpf_plugins_like_amd64_direct() {
    for (file, sets) in [
        ("MaBitcrush-vst.so", vec!["--set", "0=0.3"]),
        ("MaFreeverb-vst.so", vec!["--block", "512"]),
        ("3BandEQ-vst.so", vec!["--set", "0=0.9", "--set", "3=0.7"]),
    ] {
        assert_renders_alike(
            &real_plugin_for("amd64", file),
            &real_plugin_for("i386", file),
            &sets,
            Some(I386_TOLERANCE),
        );
    }
}

#[test]
fn dawdreamer_renders_our_32_bit_plugins_like_their_64_bit_builds() {
    assert_renders_alike(
        &our_plugin(X86_64, "gain"),
        &our_plugin(I686, "gain"),
        &["--set", "0=0.8", "--set", "1=0.3"],
        None,
    );
    assert_renders_alike(
        &our_plugin(X86_64, "synth"),
        &our_plugin(I686, "synth"),
        &["--notes"],
        None,
    );
}

/// Sets parameters on the processing thread with no block after them and reads their text
/// and the saved state at once: the bridged plugin must show the change, as the plugin does.
fn assert_parameters_alike(direct: &Path, target: &Path, sets: &[(usize, f32)], exact: bool) -> (Vec<u8>, Vec<u8>) {
    let (expected, expected_state) = params(direct, sets);
    let (got, got_state) = params(&bridged(target), sets);
    let name = target.display();
    assert_eq!(expected["before"]["names"], got["before"]["names"], "{name}: names");
    assert_eq!(expected["before"]["values"], got["before"]["values"], "{name}: values");
    for (section, key) in [("before", "texts"), ("after", "texts")] {
        let (e, g) = (
            expected[section][key].as_array().unwrap(),
            got[section][key].as_array().unwrap(),
        );
        assert_eq!(e.len(), g.len());
        for (index, (e, g)) in e.iter().zip(g).enumerate() {
            assert_texts_alike(e, g, exact, &format!("{name}: {section} text of parameter {index}"));
        }
    }
    let (e, g) = (
        expected["after_set"].as_array().unwrap(),
        got["after_set"].as_array().unwrap(),
    );
    for (e, g) in e.iter().zip(g) {
        let index = e["index"].as_u64().unwrap();
        assert_eq!(
            e["value"], g["value"],
            "{name}: value of parameter {index} read right after setting it"
        );
        assert_texts_alike(
            &e["text"],
            &g["text"],
            exact,
            &format!("{name}: text of parameter {index} read right after setting it"),
        );
    }
    assert_eq!(
        expected["after"]["values"], got["after"]["values"],
        "{name}: values after the changes"
    );
    (expected_state, got_state)
}

#[test]
fn dawdreamer_sees_parameters_set_without_a_block_at_once_and_in_saved_state() {
    // Our gain saves chunks: a lost change would be lost from the saved project.
    let gain_sets = [(0, 0.8), (1, 0.2)];
    let (expected, got) =
        assert_parameters_alike(&our_plugin(X86_64, "gain"), &our_plugin(I686, "gain"), &gain_sets, true);
    assert_eq!(expected, got, "gain: state saved right after setting parameters");
    let (before, _) = params(&our_plugin(X86_64, "gain"), &[]);
    assert_ne!(before["after"]["texts"], Value::Null);

    let eq_sets = [(0, 0.9), (4, 0.1), (3, 0.25)];
    let amd64 = real_plugin_for("amd64", "3BandEQ-vst.so");
    let (expected, got) = assert_parameters_alike(&amd64, &amd64, &eq_sets, true);
    assert_eq!(expected, got, "amd64 3BandEQ: saved state");
    assert_parameters_alike(&amd64, &real_plugin_for("i386", "3BandEQ-vst.so"), &eq_sets, false);
    let freeverb = [(0, 0.1), (1, 0.9)];
    assert_parameters_alike(
        &real_plugin_for("amd64", "MaFreeverb-vst.so"),
        &real_plugin_for("i386", "MaFreeverb-vst.so"),
        &freeverb,
        false,
    );
}

fn load_state(plugin: &Path, state: &Path, display: &Xvfb) -> Value {
    run_dawdreamer(
        &[
            "load-state".to_owned(),
            plugin.display().to_string(),
            state.display().to_string(),
        ],
        Some(display),
    )
    .findings
}

#[test]
fn dawdreamer_state_saved_through_the_bridge_loads_into_the_plugin_and_back() {
    // DawDreamer's load_state opens the editor (our test plugins have none).
    let display = Xvfb::start();
    for (direct, target, sets) in [
        (
            real_plugin_for("amd64", "3BandEQ-vst.so"),
            real_plugin_for("amd64", "3BandEQ-vst.so"),
            vec![(0, 0.3), (1, 0.9)],
        ),
        (
            real_plugin_for("amd64", "3BandEQ-vst.so"),
            real_plugin_for("i386", "3BandEQ-vst.so"),
            vec![(0, 0.75), (2, 0.1), (5, 0.4)],
        ),
    ] {
        let proxy = bridged(&target);
        let exact = direct == target;
        let file = |name: &str, bytes: &[u8]| {
            let path = scratch(&format!("{name}-{}", rand_suffix()));
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let (_, saved_directly) = params(&direct, &sets);
        let (_, saved_bridged) = params(&proxy, &sets);
        let (saved_directly, saved_bridged) = (file("direct", &saved_directly), file("bridged", &saved_bridged));
        // What the plugin itself makes of its own saved state is the reference.
        let reference = load_state(&direct, &saved_directly, &display);
        let name = target.display();
        assert_values_alike(
            &load_state(&direct, &saved_bridged, &display),
            &reference,
            exact,
            &format!("{name}: state saved through the bridge, loaded directly"),
        );
        assert_values_alike(
            &load_state(&proxy, &saved_directly, &display),
            &reference,
            exact,
            &format!("{name}: state saved directly, loaded through the bridge"),
        );
        let _ = std::fs::remove_file(saved_directly);
        let _ = std::fs::remove_file(saved_bridged);
    }
}

/// Parameter values and texts of two descriptions: equal, or for an i386 build against its
/// amd64 twin equal within x87-vs-SSE rounding.
fn assert_values_alike(got: &Value, expected: &Value, exact: bool, what: &str) {
    let (got_values, expected_values) = (
        got["values"].as_array().unwrap(),
        expected["values"].as_array().unwrap(),
    );
    assert_eq!(got_values.len(), expected_values.len(), "{what}");
    for (index, (g, e)) in got_values.iter().zip(expected_values).enumerate() {
        let (g, e) = (g.as_f64().unwrap(), e.as_f64().unwrap());
        let tolerance = if exact { 0.0 } else { 1e-6 };
        assert!(
            (g - e).abs() <= tolerance,
            "{what}: parameter {index} is {g}, expected {e}"
        );
        assert_texts_alike(&got["texts"][index], &expected["texts"][index], exact, what);
    }
}

fn median(values: &Value) -> f64 {
    let mut values: Vec<f64> = values.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[test]
fn dawdreamer_creates_and_destroys_50_bridged_instances_with_clean_server_exits() {
    const COUNT: usize = 50;
    let plugin = real_plugin_for("i386", "MaBitcrush-vst.so");
    let run = run_dawdreamer(
        &[
            "lifecycle".to_owned(),
            bridged(&plugin).display().to_string(),
            COUNT.to_string(),
        ],
        None,
    );
    assert_eq!(run.findings["created"], COUNT);
    // JUCE may create an extra instance to describe the plugin: count servers, not loads.
    let started = run.log.matches("connected to the server").count();
    let clean = run.log.matches("the server exited cleanly (exit status: 0)").count();
    assert!(started >= COUNT, "{started} servers started for {COUNT} instances");
    assert_eq!(
        clean, started,
        "every server exits 0 after a normal close:\n{}",
        run.log
    );
    for failure in ["the plugin failed", "did not exit cleanly", "panicked", "restarting"] {
        assert!(!run.log.contains(failure), "log mentions {failure:?}:\n{}", run.log);
    }
    let direct = run_dawdreamer(
        &[
            "lifecycle".to_owned(),
            real_plugin_for("amd64", "MaBitcrush-vst.so").display().to_string(),
            "10".to_owned(),
        ],
        None,
    );
    let (bridged_close, direct_close) = (
        median(&run.findings["close_seconds"]),
        median(&direct.findings["close_seconds"]),
    );
    println!(
        "close: bridged {:.1} ms, direct {:.1} ms (medians); load: bridged {:.1} ms, direct {:.1} ms",
        bridged_close * 1e3,
        direct_close * 1e3,
        median(&run.findings["load_seconds"]) * 1e3,
        median(&direct.findings["load_seconds"]) * 1e3
    );
    assert!(
        bridged_close <= direct_close + 0.020,
        "closing costs {:.1} ms more than direct",
        (bridged_close - direct_close) * 1e3
    );
}

#[test]
fn dawdreamer_with_the_server_stopped_every_call_returns_within_the_hang_timeout_and_it_plays_again() {
    // The shipped defaults: hang_timeout_ms = 2000.
    const HANG_TIMEOUT: f64 = 2.0;
    let plugin = real_plugin_for("i386", "MaBitcrush-vst.so");
    let run = run_dawdreamer(
        &[
            "stall".to_owned(),
            install_proxy_with(&plugin, "").display().to_string(),
        ],
        None,
    );
    let findings = &run.findings;
    for key in ["text_seconds", "description_seconds", "render_seconds"] {
        let seconds = findings[key].as_f64().unwrap();
        println!("{key}: {seconds:.3}");
        assert!(
            seconds <= HANG_TIMEOUT + 0.5,
            "{key} took {seconds} s with the server stopped"
        );
    }
    assert_eq!(
        findings["restarted"], true,
        "no new server after the stop:\n{}",
        run.log
    );
    assert!(
        findings["peak_after"].as_f64().unwrap() > 0.01,
        "silent after the restart"
    );
    assert!(
        run.log.contains("stopped or frozen"),
        "the log does not say why:\n{}",
        run.log
    );
}

#[test]
fn dawdreamer_lives_on_when_the_server_dies_with_the_editor_open() {
    // The i386 3BandEQ's OpenGL editor in DawDreamer's window under Xvfb; its server is
    // killed with the editor on screen. The editor sits in a window of the proxy's own, so
    // JUCE never touches a window that died with the server (it used to: BadWindow from
    // X_ConfigureWindow, and Xlib's default handler ended the host); the restarted server
    // opens the editor there again.
    let display = Xvfb::start();
    let plugin = real_plugin_for("i386", "3BandEQ-vst.so");
    let run = run_dawdreamer(
        &[
            "editor-crash".to_owned(),
            install_proxy_with(&plugin, "").display().to_string(),
        ],
        Some(&display),
    );
    let findings = &run.findings;
    let editor_seconds = findings["editor_seconds"].as_f64().unwrap();
    // The window is closed 1 s after it opened (plus the helper's start).
    assert!(editor_seconds < 2.5, "the editor call took {editor_seconds} s");
    assert_eq!(findings["restarted"], true, "no new server:\n{}", run.log);
    // JUCE's window → the proxy's → the editor the restarted server opened there again.
    assert!(
        findings["embedded_before_closing"].as_u64().unwrap() >= 1,
        "the editor did not come back after the restart: {findings}"
    );
    assert!(
        findings["peak_after"].as_f64().unwrap() > 0.01,
        "silent after the restart"
    );
    // The dangerous moment is between effEditOpen and the host placing the editor's window:
    // 40 editors opened with the server stopped or killed at random moments around then
    // (with the editor handed straight to the server, 30 were always enough to end the host).
    let options = "hang_timeout_ms = 500\nmax_restarts_per_minute = 100000\n";
    let run = run_dawdreamer(
        &[
            "faults".to_owned(),
            install_proxy_with(&plugin, options).display().to_string(),
            install_proxy_with(&test_plugin_for_triple(I686, "probe"), options)
                .display()
                .to_string(),
            "40".to_owned(),
            std::process::id().to_string(),
            "--kinds".to_owned(),
            "editor".to_owned(),
            "--state-bytes".to_owned(),
            "16".to_owned(),
        ],
        Some(&display),
    );
    let inside = run.findings["faults_during_the_call"]["editor"].as_u64().unwrap_or(0);
    println!("editor faults: {inside} of 40 inside the call");
    assert!(
        inside >= 10,
        "too few faults landed while the editor was open: {inside}"
    );
}

#[test]
fn dawdreamer_server_faults_at_random_moments_never_hold_a_call_past_its_budget() {
    // Stops and kills of the server at random moments during every kind of call a host
    // makes (see `faults` in dawdreamer_host.py): loading, preparing (sample rate, block
    // size, speaker arrangement), rendering (mains off and on, process), parameter texts and
    // descriptions, saving state (program names), loading state and opening the editor
    // (effEditOpen/effEditClose of the i386 3BandEQ's OpenGL editor under Xvfb), saving and
    // loading a 64 MiB state chunk (our probe, i686), and closing. Each kind's worst time
    // against its budget. `VSTBRIDGE_REAL_HOST_FAULTS` sets how many (CI runs 200;
    // `cargo xtask soak` 1000).
    let count: usize = std::env::var("VSTBRIDGE_REAL_HOST_FAULTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    const HANG: f64 = 0.5;
    const CALL: f64 = 1.0;
    const SLOW: f64 = 3.0;
    let options = "hang_timeout_ms = 500\ncall_timeout_ms = 1000\nslow_call_timeout_ms = 3000\nmax_restarts_per_minute = 100000\n";
    let plugin = real_plugin_for("i386", "3BandEQ-vst.so");
    let state_plugin = test_plugin_for_triple(I686, "probe");
    let display = Xvfb::start();
    let seed = std::process::id().to_string();
    let run = run_dawdreamer(
        &[
            "faults".to_owned(),
            install_proxy_with(&plugin, options).display().to_string(),
            install_proxy_with(&state_plugin, options).display().to_string(),
            count.to_string(),
            seed.clone(),
        ],
        Some(&display),
    );
    // Each kind's budget for the bridge's share: a slow call's for loading, preparing,
    // the editor and states (chunks, effEditOpen), an ordinary call's for the queries (a
    // stopped server is given up after the hang timeout, then every call returns at once),
    // and for a 0.2 s render its length plus the hang timeout. The host's own share is what
    // the kind took unfaulted (64 MiB through JUCE's state code takes about a second).
    let budgets = [
        ("load", SLOW),
        ("prepare", SLOW),
        ("render", 0.2 + HANG),
        ("parameter text", CALL),
        ("parameter description", CALL),
        ("save state", CALL),
        ("load state", SLOW),
        ("editor", SLOW),
        ("save big state", SLOW),
        ("load big state", SLOW),
        ("close", SLOW),
    ];
    let findings = &run.findings;
    let (worst, ordinary, hits) = (
        &findings["worst_seconds"],
        &findings["ordinary_seconds"],
        &findings["faults_during_the_call"],
    );
    let mut report = Vec::new();
    let mut over = Vec::new();
    for (kind, budget) in budgets {
        let ordinary = ordinary[kind].as_f64().unwrap_or_else(|| panic!("{kind} never ran"));
        let Some(seconds) = worst[kind].as_f64() else { continue };
        let limit = budget + ordinary;
        report.push(format!(
            "{kind}: worst {seconds:.3} s of {limit:.2} s ({} faults inside)",
            hits[kind].as_u64().unwrap_or(0)
        ));
        // 0.5 s of slack for a loaded machine.
        if seconds > limit + 0.5 {
            over.push(kind);
        }
    }
    println!("real-host faults ({count}, seed {seed}): {}", report.join("; "));
    let struck_inside = budgets
        .iter()
        .filter(|(kind, _)| hits[*kind].as_u64().unwrap_or(0) > 0)
        .count();
    assert!(
        count < 100 || struck_inside >= 8,
        "faults landed inside too few kinds of call: {report:?}"
    );
    assert!(over.is_empty(), "over budget: {over:?}: {report:?}");
    assert_eq!(
        findings["failed_loads"],
        serde_json::json!([]),
        "a load failed although only one server was faulted per load:\n{}",
        run.log
    );
}
