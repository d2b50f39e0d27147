//! `cargo xtask test`: builds everything, fetches the real plugins, runs the whole suite on
//! x86_64 and the architecture-sensitive crates again on i686, and then checks that the
//! tests that must never be skipped (layouts on both widths, the C header, the real
//! plugins on both architectures, the real host) really ran and passed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::build::{I686, build_all};
use crate::fetch::fetch_plugins;
use crate::util::{cargo, describe};

/// Crates whose tests also run as i686 binaries (32-bit layouts, loading i386 plugins).
const I686_TEST_PACKAGES: [&str; 2] = ["vst2-abi", "vst2-host"];

/// End-to-end tests (x86_64 host, both servers) that must appear as passed.
const REQUIRED_BRIDGE: [&str; 45] = [
    "bridged_editors_paint_and_take_clicks_and_keys_as_they_do_directly",
    "vstbridge_probe_describes_an_arm64_plugin_through_the_emulator",
    "arm64_dpf_plugins_render_under_qemu_like_their_amd64_builds",
    "a_killed_emulated_server_comes_back_with_its_state",
    "instances_of_one_group_share_a_server_and_see_each_other",
    "a_crash_of_the_groups_server_restarts_every_instance_with_its_own_state",
    "instances_loaded_at_once_still_make_one_group",
    "sync_for_a_32_bit_daw_gives_its_64_bit_plugins_the_32_bit_proxy",
    "dawdreamer_lives_on_when_the_server_dies_with_the_editor_open",
    "dawdreamer_server_faults_at_random_moments_never_hold_a_call_past_its_budget",
    "closing_a_stopped_or_dead_server_costs_at_most_100_ms",
    "hostile_callbacks_without_end_inside_a_call_never_hold_the_host_past_the_calls_budget",
    "dawdreamer_with_the_server_stopped_every_call_returns_within_the_hang_timeout_and_it_plays_again",
    "a_self_referencing_or_cyclic_sidecar_gets_a_null_effect_within_a_second_and_says_why",
    "hostile_io_change_inside_process_never_makes_the_proxy_index_past_the_hosts_arrays",
    "hostile_silent_io_change_takes_effect_only_when_the_host_resumes",
    "hostile_absurd_counts_are_clamped_before_the_host_sees_them",
    "hostile_huge_strings_and_floods_of_callbacks_return_within_the_deadline",
    "hostile_scribbling_over_the_shared_region_never_reaches_the_host",
    "hostile_attempts_to_resize_the_region_are_refused",
    "hostile_children_inherit_no_token_and_do_not_hold_the_instance",
    "strangers_without_the_token_are_dropped_at_once_and_a_silent_one_delays_no_one",
    "another_users_connection_is_refused_before_a_byte_is_read",
    "changes_made_while_the_plugin_is_dead_are_replayed_at_restart",
    "plugin_exceptions_from_dispatcher_and_process_leave_the_server_alive",
    "plugin_exceptions_are_contained_when_loaded_directly_too",
    "dawdreamer_renders_bridged_amd64_dpf_plugins_bit_exact",
    "dawdreamer_renders_bridged_i386_dpf_plugins_like_amd64_direct",
    "dawdreamer_renders_our_32_bit_plugins_like_their_64_bit_builds",
    "dawdreamer_sees_parameters_set_without_a_block_at_once_and_in_saved_state",
    "dawdreamer_state_saved_through_the_bridge_loads_into_the_plugin_and_back",
    "dawdreamer_creates_and_destroys_50_bridged_instances_with_clean_server_exits",
    "sync_installs_proxies_that_play_leaves_them_alone_and_prunes_only_the_gone",
    "render_of_the_32_bit_reverb_matches_the_64_bit_build_rendered_directly",
    "probe_reports_bad_files_crashes_and_hangs_clearly_and_leaves_nothing_running",
    "kills_and_freezes_during_traffic_never_stall_or_corrupt_the_host",
    "killing_the_host_leaves_no_server_and_no_files_behind",
    "hang_in_process_never_blocks_past_the_block_deadline",
    "bridged_i686_gain_matches_direct_x86_64_bit_for_bit",
    "bridged_i386_mafreeverb_matches_amd64_direct_within_tolerance",
    "bridged_i386_3bandeq_with_parameter_changes_matches_amd64_direct",
    "probe_callbacks_are_answered_on_the_threads_that_made_the_outer_calls",
    "no_heap_allocation_per_block_in_proxy_or_server",
    "server_audio_thread_takes_the_host_threads_cpu_and_realtime_priority_below_it",
    "a_busy_hang_on_a_realtime_server_thread_never_holds_the_hosts_realtime_thread",
];

/// Tests that must appear as passed in each architecture's run.
const REQUIRED_ON_BOTH: [&str; 8] = [
    "layout_of::AEffect",
    "layout_of::VstTimeInfo",
    "c_header_layout_matches_rust_on_32_bit",
    "c_header_layout_matches_rust_on_64_bit",
    "real_kars_renders_a_midi_note_to_audio",
    "real_mafreeverb_leaves_a_reverb_tail_after_the_input_stops",
    "plugin_of_the_other_architecture_names_both_architectures",
    "probe_sees_every_reentrant_callback_answered",
];

/// A 32-bit host loading 64-bit plugins through the i686 proxy (`tests/tests/i686_host.rs`,
/// run as an i686 binary): what must pass.
const REQUIRED_I686_HOST: [&str; 3] = [
    "a_32_bit_host_renders_64_bit_plugins_through_the_i686_proxy_bit_exactly",
    "a_killed_64_bit_server_of_a_32_bit_host_comes_back_with_its_state",
    "a_crashing_64_bit_plugin_leaves_a_32_bit_host_running",
];

/// Tests that must appear as passed on each Windows target under Wine: the ABI's layouts
/// under the Windows C ABI, the wire format's round trips, and our test plugins as DLLs
/// loaded and played by the host library.
const REQUIRED_ON_WINDOWS: [&str; 31] = [
    "bridged_win32_editors_open_without_deadlock_are_pumped_and_take_clicks_where_made",
    "layout_of::AEffect",
    "layout_of::VstTimeInfo",
    "layout_of::VstEvents",
    "time_info_alignment_is_at_most_8_and_moves_no_field",
    "every_message_kind_survives_a_loopback",
    "areas_follow_each_other_on_cache_lines",
    "own_test_plugin_loads_through_vstpluginmain",
    "plugin_of_the_other_architecture_names_both_architectures",
    "gain_processes_f32_f64_and_accumulating_identically",
    "probe_sees_every_reentrant_callback_answered",
    "synth_receives_a_one_mebibyte_sysex_intact",
    "created_region_opens_with_the_same_capacity_and_shares_memory",
    "region_and_doorbells_cross_processes_and_reads_time_out",
    // The bridge: x64 host and x64 plugin, x64 host and x86 plugin (and on x86, x86 host and
    // x64 plugin), MIDI and chunks, re-entrant callbacks, a crash, a hostile server.
    "bridged_x86_64_gain_matches_direct_bit_for_bit",
    "bridged_gain_of_the_other_width_matches_direct_bit_for_bit",
    "bridged_synth_matches_direct_and_sends_the_same_midi_back",
    "chunks_of_0_1_and_64_mebibytes_round_trip",
    "probe_callbacks_are_answered_on_the_threads_that_made_the_outer_calls",
    "a_plugin_crashing_in_process_leaves_the_host_running_with_silence",
    "crash_in_process_plays_silence_and_repeated_crashes_end_in_silence_for_good",
    "hang_in_process_never_blocks_past_the_block_deadline",
    "restarted_synth_matches_an_uninterrupted_instance_with_its_parameters",
    "killing_the_host_leaves_no_server_and_no_files_behind",
    "sync_bridges_the_other_widths_plugins_and_a_second_sync_changes_nothing",
    "bridged_dpf_windows_dlls_of_both_widths_match_their_linux_amd64_builds",
    "a_bridged_x86_dpf_plugin_whose_server_is_killed_mid_render_comes_back_with_its_parameters",
    "a_plugin_finds_the_dlls_it_ships_beside_itself",
    "probe_scan_and_render_handle_the_other_widths_plugin",
    "a_pipe_doorbell_sleep_ends_at_its_timeout_or_at_a_ring",
    "the_futex_is_used_only_before_wine_11_5_and_never_under_proton",
];

/// The Linux proxy driving the Windows servers under Wine (`tests/tests/wine_bridge.rs`):
/// what must pass, and the label its run has among the Windows runs.
const REQUIRED_WINE_BRIDGE: [&str; 9] = [
    "dawdreamer_renders_windows_dpf_dlls_through_the_linux_proxy_like_their_linux_builds",
    "windows_editors_embed_in_a_linux_hosts_window_and_take_clicks_where_made",
    "every_doorbell_renders_the_same_and_the_defaults_are_the_futex_for_x64_and_pipes_for_x86",
    "dawdreamer_sees_the_windows_builds_parameters_names_and_state_as_the_linux_builds",
    "dawdreamer_plays_on_when_the_wine_server_is_stopped_or_killed_and_the_plugin_comes_back",
    "the_wine_servers_of_a_killed_host_end_with_it",
    "a_windows_plugin_with_a_prefix_that_cannot_run_it_fails_to_load_with_the_reason",
    "vstbridge_sync_bridges_a_folder_of_windows_dlls_idempotently_and_prunes_the_gone",
    "vstbridge_probe_describes_windows_dlls_as_their_linux_builds_are_described",
];
const WINE_BRIDGE_LABEL: &str = "the Linux proxy with Windows servers";

/// The longest one `cargo test` command may run before it is killed: a hung test must fail
/// the run, not eat CI's time limit.
const TEST_COMMAND_LIMIT_SECONDS: u32 = 1800;

/// `cargo xtask soak [--count N]`: builds, then runs the kill/freeze loop of our own
/// harness and the real-host fault sweep (DawDreamer), each with N faults.
pub fn soak(args: &[String]) -> Result<()> {
    let count = match args {
        [] => 1000,
        [flag, count] if flag == "--count" => count.parse().context("--count needs a number")?,
        _ => bail!("usage: cargo xtask soak [--count N]"),
    };
    build_all()?;
    fetch_plugins()?;
    crate::real_host::ensure_real_host()?;
    let runs = [
        (
            "soak",
            "kills_and_freezes_during_traffic_never_stall_or_corrupt_the_host",
            "VSTBRIDGE_SOAK_COUNT",
            "soak: ",
            " ",
        ),
        (
            "real_host",
            "dawdreamer_server_faults_at_random_moments_never_hold_a_call_past_its_budget",
            "VSTBRIDGE_REAL_HOST_FAULTS",
            "real-host faults ",
            "; ",
        ),
    ];
    // (test file, test, its fault count variable, the start of its report, the report's separator)
    for (test, filter, variable, marker, separator) in runs {
        let mut command = limited(cargo().args([
            "test",
            "-p",
            "vstbridge-tests",
            "--test",
            test,
            "--",
            "--nocapture",
            "--exact",
            filter,
        ]));
        command.env(variable, count.to_string());
        let output = run_tests(&mut command, &mut Totals::default())?;
        match output
            .lines()
            .find_map(|line| line.split_once(marker).map(|(_, report)| report.to_owned()))
        {
            Some(report) => println!("\n{test} report: {}", report.replace(separator, "\n  ")),
            None => bail!("{test} printed no report"),
        }
    }
    Ok(())
}

/// Wraps a command in coreutils `timeout`.
fn limited(command: &mut Command) -> Command {
    let mut limited = Command::new("timeout");
    limited.args(["--kill-after=30", &TEST_COMMAND_LIMIT_SECONDS.to_string()]);
    limited.arg(command.get_program()).args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        limited.current_dir(dir);
    }
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => limited.env(key, value),
            None => limited.env_remove(key),
        };
    }
    limited
}

/// Totals parsed from `test result:` lines.
#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

pub fn test_all() -> Result<()> {
    build_all()?;
    fetch_plugins()?;
    crate::real_host::ensure_real_host()?;

    let mut totals = Totals::default();
    let x86_64 = run_tests(
        &mut limited(cargo().args(["test", "--workspace", "--no-fail-fast"])),
        &mut totals,
    );
    let mut i686_command = cargo();
    i686_command.args(["test", "--no-fail-fast", "--target", I686]);
    for package in I686_TEST_PACKAGES {
        i686_command.args(["-p", package]);
    }
    let i686 = run_tests(&mut limited(&mut i686_command), &mut totals);
    // A 32-bit host loading 64-bit plugins through the i686 proxy (after the x86_64 run,
    // which renders the references it compares with).
    let i686_host = run_tests(
        &mut limited(cargo().args(["test", "--target", I686, "-p", "vstbridge-tests", "--test", "i686_host"])),
        &mut totals,
    );
    let windows = run_windows_tests(&mut totals);

    let mut problems = Vec::new();
    // (A failed x86_64 run is reported once, below.)
    if x86_64.is_ok() {
        problems.extend(run_problems("x86_64 (bridge)", &x86_64, &REQUIRED_BRIDGE));
    }
    for (arch, run) in [("x86_64", &x86_64), ("i686", &i686)] {
        problems.extend(run_problems(arch, run, &REQUIRED_ON_BOTH));
    }
    problems.extend(run_problems("i686 host", &i686_host, &REQUIRED_I686_HOST));
    problems.extend(windows_problems(&windows));
    println!(
        "\nall tests (x86_64 + i686 + Windows x64 and x86 under Wine): {} passed, {} failed, {} ignored",
        totals.passed, totals.failed, totals.ignored
    );
    if !problems.is_empty() {
        bail!("the test suite failed:\n  {}", problems.join("\n  "));
    }
    println!(
        "required tests ran on both architectures: {}",
        REQUIRED_ON_BOTH.join(", ")
    );
    println!("required bridge tests ran: {}", REQUIRED_BRIDGE.join(", "));
    println!(
        "required tests ran as Windows programs under Wine: {}",
        REQUIRED_ON_WINDOWS.join(", ")
    );
    Ok(())
}

/// `cargo xtask test-windows`: only the Windows tests under Wine (setting Wine up first),
/// with the same required tests as `cargo xtask test`.
pub fn test_windows() -> Result<()> {
    let mut totals = Totals::default();
    let problems = windows_problems(&run_windows_tests(&mut totals));
    println!(
        "\nWindows tests under Wine: {} passed, {} failed, {} ignored",
        totals.passed, totals.failed, totals.ignored
    );
    if !problems.is_empty() {
        bail!("the Windows tests failed:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

/// What went wrong in the Windows runs: a failed run, or a required test that did not pass.
fn windows_problems(runs: &[(&str, Result<String>)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (target, run) in runs {
        let required: &[&str] = if *target == WINE_BRIDGE_LABEL {
            &REQUIRED_WINE_BRIDGE
        } else {
            &REQUIRED_ON_WINDOWS
        };
        problems.extend(run_problems(&format!("{target} under Wine"), run, required));
    }
    problems
}

/// What went wrong in the run `label`: it failed, or a `required` test did not pass in it.
fn run_problems(label: &str, run: &Result<String>, required: &[&str]) -> Vec<String> {
    match run {
        Ok(output) => required
            .iter()
            .filter(|name| !passed(output, name))
            .map(|name| format!("{label}: required test `{name}` did not run and pass"))
            .collect(),
        Err(error) => vec![format!("{label}: {error:#}")],
    }
}

/// Runs the Windows tests ([`crate::windows::WINDOWS_TESTS`]) for each Windows target
/// under Wine, setting Wine up first; one output per target (all its commands), and one
/// for the Linux proxy driving the Windows servers under Wine ([`WINE_BRIDGE_LABEL`]).
fn run_windows_tests(totals: &mut Totals) -> Vec<(&'static str, Result<String>)> {
    let wine = match crate::windows::ensure_windows().and_then(|wine| {
        crate::windows::build_test_plugins()?;
        crate::windows::add_servers_for_wine(
            crate::build::Profile::Debug,
            &crate::util::target_dir().join("debug").join("bridge"),
        )?;
        crate::windows_plugins::build()?;
        // The Linux renderings the Windows builds of Debian's plugins are compared with.
        fetch_plugins()?;
        run_tests(
            &mut limited(cargo().args(["test", "-p", "vstbridge-tests", "--test", "windows_references"])),
            totals,
        )?;
        Ok(wine)
    }) {
        Ok(wine) => wine,
        Err(error) => {
            let error = format!("{error:#}");
            return crate::windows::WINDOWS_TARGETS
                .iter()
                .map(|target| (*target, Err(anyhow::anyhow!("Wine could not be set up: {error}"))))
                .collect();
        }
    };
    let mut wine_bridge = limited(cargo().args([
        "test",
        "-p",
        "vstbridge-tests",
        "--test",
        "wine_bridge",
        "--",
        "--include-ignored",
    ]));
    wine.apply(&mut wine_bridge);
    let wine_bridge = run_tests(&mut wine_bridge, totals).and_then(|mut output| {
        // Windows editors in a Linux host's window: an X display of their own, in a Wine
        // session of their own (the headless one above has none).
        output.push_str(&test_with_display(
            &wine,
            totals,
            &[
                "-p",
                "vstbridge-tests",
                "--test",
                "wine_editors",
                "--",
                "--include-ignored",
            ],
        )?);
        Ok(output)
    });
    crate::windows::WINDOWS_TARGETS
        .iter()
        .map(|&target| {
            let mut output = String::new();
            for (package, test_targets) in crate::windows::WINDOWS_TESTS {
                let mut command = cargo();
                command
                    .args(["test", "--no-fail-fast", "--target", target, "-p", package])
                    .args(test_targets);
                wine.apply(&mut command);
                match run_tests(&mut limited(&mut command), totals) {
                    Ok(text) => output.push_str(&text),
                    Err(error) => return (target, Err(error)),
                }
            }
            // The editor test makes windows: Wine needs an X display for it.
            let editors = test_with_display(
                &wine,
                totals,
                &["--target", target, "-p", "vstbridge-tests", "--test", "editors_windows"],
            );
            match editors {
                Ok(text) => output.push_str(&text),
                Err(error) => return (target, Err(error)),
            }
            (target, Ok(output))
        })
        .chain([(WINE_BRIDGE_LABEL, wine_bridge)])
        .collect()
}

/// Runs `cargo test ARGS` under Wine with an Xvfb of its own in `DISPLAY`, in a Wine
/// session of its own: the one headless tests leave running has no display, and no window
/// can be made in it; and the tests after it must not meet a session bound to a display gone.
fn test_with_display(wine: &crate::windows::WineEnvironment, totals: &mut Totals, args: &[&str]) -> Result<String> {
    wine.restart_session();
    let output = crate::windows::Xvfb::start().and_then(|display| {
        let mut command = cargo();
        command.arg("test").args(args);
        wine.apply(&mut command);
        command.env("DISPLAY", display.name());
        run_tests(&mut limited(&mut command), totals)
    });
    wine.restart_session();
    output
}

/// Whether `output` shows `name` (a test path suffix) as `ok`. Parallel tests that print
/// can interleave with the harness's lines, so the verdict may stand after other text.
fn passed(output: &str, name: &str) -> bool {
    let (plain, nested) = (format!("test {name} ... ok"), format!("::{name} ... ok"));
    output.lines().any(|line| {
        let line = line.trim_end();
        (line.ends_with(&plain) || line.ends_with(&nested)) && line.starts_with("test ")
    })
}

/// Runs a `cargo test` command, echoing its output as it comes, and returns the output.
/// Fails (after collecting everything) if the command fails.
fn run_tests(command: &mut Command, totals: &mut Totals) -> Result<String> {
    eprintln!("$ {}", describe(command));
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {}", describe(command)))?;
    let stdout = child.stdout.take().context("piped stdout")?;
    let mut output = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(result) = line.strip_prefix("test result: ") {
            add_totals(result, totals);
        }
        output.push_str(&line);
        output.push('\n');
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{} failed ({status})", describe(command));
    }
    Ok(output)
}

/// Adds the counts of one `ok. 5 passed; 0 failed; 1 ignored; ...` line.
fn add_totals(result: &str, totals: &mut Totals) {
    for part in result.split(';') {
        let mut words = part.split_whitespace().rev();
        let (Some(kind), Some(count)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(count) = count.parse::<u64>() else {
            continue;
        };
        match kind {
            "passed" => totals.passed += count,
            "failed" => totals.failed += count,
            "ignored" => totals.ignored += count,
            _ => {}
        }
    }
}
