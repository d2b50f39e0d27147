//! Fault isolation: a plugin that crashes or hangs — in process, in the dispatcher, in
//! effOpen, in its entry point, on a thread of its own — never takes the host with it, no
//! call blocks past its deadline, a dead plugin plays silence and answers at once, and the
//! watchdog brings it back with its state. Failures that would hit the test process itself
//! (an environment-triggered crash, a killed host) run in a child process.

#[cfg(unix)]
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vst2_abi::EffectOpcode;
use vst2_abi::effect::four_char_code;
use vst2_host::{ChunkKind, DefaultHost, EventList, LoadError, Plugin};
use vstbridge_test_support::proxy_status::{health, late_blocks, restarts, server_pid, wait_until};
use vstbridge_test_support::{
    Bridged, RecordingHost, SAMPLE_RATE, install_proxy_with, load_bridged_with_options, processes, sine, test_plugin,
};

const BLOCK: usize = 64;
/// Short deadlines, so failures are noticed fast; generous restart limits.
const FAST: &str = "block_deadline_floor_ms = 50\nhang_timeout_ms = 400\ncall_timeout_ms = 1000\nslow_call_timeout_ms = 3000\nmax_restarts_per_minute = 1000\nsnapshot_interval_s = 1\n";
/// How much later than its deadline a call may return on a loaded two-core machine.
const SCHEDULING_SLACK: Duration = Duration::from_millis(150);
const ALIVE: isize = 0;
const GONE: isize = 2;

fn fast(name: &str) -> Bridged {
    let bridged = load_bridged_with_options(&test_plugin(name), FAST);
    bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
    bridged
}

/// Processes one stereo block of `input`, returning the left output and how long it took.
fn block(plugin: &Plugin, input: &[f32]) -> (Vec<f32>, Duration) {
    let (mut left, mut right) = (vec![1.0f32; BLOCK], vec![1.0f32; BLOCK]);
    let started = Instant::now();
    plugin
        .process_replacing(&[input, input], &mut [&mut left, &mut right], BLOCK)
        .unwrap();
    (left, started.elapsed())
}

fn wait_for_restart(plugin: &Plugin, count: isize) {
    assert!(
        wait_until(Duration::from_secs(15), || restarts(plugin) >= count
            && health(plugin) == ALIVE),
        "the plugin was not restarted (restarts {}, health {})",
        restarts(plugin),
        health(plugin)
    );
}

#[test]
fn crash_in_the_dispatcher_returns_at_once_and_the_plugin_comes_back() {
    let bridged = fast("crash");
    let crash = &bridged.plugin;
    let input = sine(300.0, SAMPLE_RATE, 0.5, BLOCK);
    assert_eq!(block(crash, &input).0, input);
    let started = Instant::now();
    crash.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(b"Fail"), 0, 0.0);
    assert!(
        started.elapsed() < Duration::from_secs(1) + SCHEDULING_SLACK,
        "took {:?}",
        started.elapsed()
    );
    wait_for_restart(crash, 1);
    assert_eq!(block(crash, &input).0, input, "the restarted plugin plays again");
}

#[test]
fn crash_on_a_plugin_thread_is_noticed_and_the_plugin_comes_back() {
    let bridged = fast("crash");
    let crash = &bridged.plugin;
    let first_pid = server_pid(crash);
    crash.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(b"FThr"), 1, 0.0);
    wait_for_restart(crash, 1);
    assert_ne!(server_pid(crash), first_pid, "a new server runs");
    let input = sine(300.0, SAMPLE_RATE, 0.5, BLOCK);
    assert_eq!(block(crash, &input).0, input);
}

#[test]
fn crash_in_process_plays_silence_and_repeated_crashes_end_in_silence_for_good() {
    let options = FAST.replace("max_restarts_per_minute = 1000", "max_restarts_per_minute = 2");
    let bridged = load_bridged_with_options(&test_plugin("crash"), &options);
    let crash = &bridged.plugin;
    crash.start(SAMPLE_RATE, BLOCK as i32);
    let input = sine(300.0, SAMPLE_RATE, 0.5, BLOCK);
    assert_eq!(crash.parameter_name(0), "Trigger");
    // The trigger is a parameter, so each restart restores it and the plugin crashes again:
    // after two restarts within the minute the proxy gives up.
    crash.set_parameter(0, 1.0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut max_block = Duration::ZERO;
    while health(crash) != GONE && Instant::now() < deadline {
        let (output, took) = block(crash, &input);
        assert!(
            output.iter().all(|&s| s == 0.0),
            "a crashing plugin outputs silence, never stale data"
        );
        max_block = max_block.max(took);
    }
    assert_eq!(health(crash), GONE, "the proxy gave up after the configured restarts");
    assert_eq!(restarts(crash), 2);
    assert!(
        max_block < Duration::from_millis(50) + SCHEDULING_SLACK,
        "a block took {max_block:?}"
    );
    let started = Instant::now();
    assert_eq!(
        crash.parameter_name(0),
        "Trigger",
        "a dead plugin answers with its last strings"
    );
    assert_eq!(crash.parameter(0), 1.0, "and its last parameter values");
    assert!(started.elapsed() < Duration::from_millis(50), "answers come at once");
}

#[test]
fn hang_in_process_never_blocks_past_the_block_deadline() {
    let bridged = fast("hang");
    let hang = &bridged.plugin;
    let input = sine(300.0, SAMPLE_RATE, 0.5, BLOCK);
    hang.set_parameter(0, 1.0);
    let mut max_block = Duration::ZERO;
    let started = Instant::now();
    while restarts(hang) < 1 && started.elapsed() < Duration::from_secs(10) {
        let (output, took) = block(hang, &input);
        assert!(output.iter().all(|&s| s == 0.0));
        max_block = max_block.max(took);
    }
    assert!(restarts(hang) >= 1, "the hung plugin was killed and restarted");
    assert!(late_blocks(hang) > 0);
    assert!(
        max_block < Duration::from_millis(50) + SCHEDULING_SLACK,
        "a block took {max_block:?}"
    );
}

#[test]
fn hang_in_the_dispatcher_returns_within_the_call_timeout() {
    let bridged = fast("hang");
    let hang = &bridged.plugin;
    let started = Instant::now();
    hang.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(b"Fail"), 0, 0.0);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(1) + SCHEDULING_SLACK,
        "took {took:?}"
    );
    wait_for_restart(hang, 1);
}

#[test]
fn restarted_gain_matches_an_uninterrupted_instance_sample_for_sample() {
    let bridged = fast("gain");
    let gain = &bridged.plugin;
    gain.set_program(1);
    gain.set_parameter(0, 0.375);
    gain.set_parameter(1, 0.8);
    gain.set_program_name("Before the crash");
    let reference = Plugin::load(test_plugin("gain"), Arc::new(RecordingHost::default())).unwrap();
    reference.start(SAMPLE_RATE, BLOCK as i32);
    reference.set_chunk(ChunkKind::Bank, &gain.chunk(ChunkKind::Bank));

    processes::kill(server_pid(gain) as u32).unwrap();
    wait_for_restart(gain, 1);
    let input = sine(700.0, SAMPLE_RATE, 0.9, BLOCK);
    for _ in 0..4 {
        assert_eq!(
            block(gain, &input).0,
            block(&reference, &input).0,
            "restored state differs"
        );
    }
    assert_eq!(
        (gain.program(), gain.program_name()),
        (1, "Before the crash".to_owned())
    );
}

#[test]
fn changes_made_while_the_plugin_is_dead_are_replayed_at_restart() {
    let bridged = fast("gain");
    let gain = &bridged.plugin;
    gain.set_parameter(0, 0.375);
    // A saved project: the chunk the restart starts from.
    let saved = gain.chunk(ChunkKind::Bank);
    processes::kill(server_pid(gain) as u32).unwrap();
    // The first call finds the server gone; the next ones are answered while dead (the
    // watchdog needs a while to start a new server). All of them must survive the restart.
    gain.set_program(2);
    gain.set_parameter(1, 0.9);
    gain.set_program_name("Made while dead");
    gain.set_parameter(0, 0.625);
    wait_for_restart(gain, 1);

    let reference = Plugin::load(test_plugin("gain"), Arc::new(RecordingHost::default())).unwrap();
    reference.start(SAMPLE_RATE, BLOCK as i32);
    reference.set_chunk(ChunkKind::Bank, &saved);
    reference.set_program(2);
    reference.set_parameter(1, 0.9);
    reference.set_program_name("Made while dead");
    reference.set_parameter(0, 0.625);
    let input = sine(440.0, SAMPLE_RATE, 0.8, BLOCK);
    assert_eq!(
        block(gain, &input).0,
        block(&reference, &input).0,
        "restored state differs"
    );
    assert_eq!(
        (
            gain.program(),
            gain.program_name(),
            gain.parameter(0),
            gain.parameter(1)
        ),
        (
            2,
            "Made while dead".to_owned(),
            reference.parameter(0),
            reference.parameter(1)
        )
    );
}

#[test]
fn restarted_synth_matches_an_uninterrupted_instance_with_its_parameters() {
    let bridged = fast("synth");
    let synth = &bridged.plugin;
    synth.set_parameter(0, 0.3);
    let reference = Plugin::load(test_plugin("synth"), Arc::new(RecordingHost::default())).unwrap();
    reference.start(SAMPLE_RATE, BLOCK as i32);
    reference.set_parameter(0, 0.3);
    processes::kill(server_pid(synth) as u32).unwrap();
    wait_for_restart(synth, 1);
    let render = |plugin: &Plugin| {
        let mut events = EventList::new();
        events.push_midi_bytes(5, [0x90, 69, 100]);
        plugin.process_events(&mut events);
        (0..8).flat_map(|_| block(plugin, &[]).0).collect::<Vec<f32>>()
    };
    assert_eq!(render(synth), render(&reference));
}

/// Runs in a child process: does what `VSTBRIDGE_FAULT_CHILD` says and exits.
#[test]
#[ignore = "run in a child process by the other tests of this file"]
fn fault_child() {
    let Ok(action) = std::env::var("VSTBRIDGE_FAULT_CHILD") else {
        return;
    };
    match action.as_str() {
        "crash-at-entry" => {
            let proxy = install_proxy_with(&test_plugin("crash"), FAST);
            let error = Plugin::load(&proxy, Arc::new(DefaultHost))
                .expect_err("a plugin crashing in its entry point does not load");
            assert!(matches!(error, LoadError::NullEffect(_)), "{error:?}");
        }
        "crash-at-open" => {
            let options = FAST.replace("max_restarts_per_minute = 1000", "max_restarts_per_minute = 1");
            let bridged = load_bridged_with_options(&test_plugin("crash"), &options);
            let started = Instant::now();
            bridged.plugin.open();
            assert!(started.elapsed() < Duration::from_secs(3) + SCHEDULING_SLACK);
            assert!(
                wait_until(Duration::from_secs(15), || health(&bridged.plugin) == GONE),
                "gave up after one restart"
            );
            assert_eq!(
                block(&bridged.plugin, &sine(300.0, SAMPLE_RATE, 0.5, BLOCK)).0,
                vec![0.0; BLOCK]
            );
        }
        "host-to-be-killed" => {
            let bridged = fast("gain");
            println!("server-pid={}", server_pid(&bridged.plugin));
            let input = sine(300.0, SAMPLE_RATE, 0.5, BLOCK);
            loop {
                block(&bridged.plugin, &input);
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        other => panic!("unknown fault {other}"),
    }
}

fn child(action: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "fault_child",
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("VSTBRIDGE_FAULT_CHILD", action)
        .envs(env.iter().copied());
    command
}

#[test]
fn crash_in_the_entry_point_fails_to_load_cleanly() {
    let status = child("crash-at-entry", &[("VSTBRIDGE_TEST_CRASH_AT", "entry")])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the host process survived and saw a clean load failure: {status}"
    );
}

#[test]
fn crash_in_effopen_leaves_the_host_running() {
    let status = child("crash-at-open", &[("VSTBRIDGE_TEST_CRASH_AT", "open")])
        .status()
        .unwrap();
    assert!(status.success(), "the host process survived: {status}");
}

#[test]
fn killing_the_host_leaves_no_server_and_no_files_behind() {
    let mut host = child("host-to-be-killed", &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let host_pid = host.id();
    // Watchdog: a child that never reports is killed, which ends the read below.
    let reported = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let reported = reported.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(30));
            if !reported.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = processes::kill(host_pid);
            }
        })
    };
    let mut stdout = std::io::BufReader::new(host.stdout.take().unwrap());
    let mut line = String::new();
    let server = loop {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0,
            "the child printed its server pid"
        );
        // libtest prints "test fault_child ... " without a newline before the child's output.
        if let Some((_, pid)) = line.trim().split_once("server-pid=") {
            break pid.parse::<u32>().unwrap();
        }
    };
    reported.store(true, std::sync::atomic::Ordering::SeqCst);
    drop(watchdog);
    assert!(server > 0 && processes::is_running(server));
    std::thread::sleep(Duration::from_millis(200));
    host.kill().unwrap(); // SIGKILL; TerminateProcess on Windows
    let status = host.wait().unwrap();
    #[cfg(unix)]
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    #[cfg(windows)]
    assert!(!status.success());
    // Linux: the parent-death signal; Windows: the job closes with the host, and the server
    // watches the host's process handle.
    assert!(
        wait_until(Duration::from_secs(5), || !processes::is_running(server)),
        "the server {server} is still running"
    );
    #[cfg(unix)]
    {
        let prefix = format!("vstbridge-{}-", host.id());
        let leftovers: Vec<_> = std::fs::read_dir("/dev/shm")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .collect();
        assert!(leftovers.is_empty(), "files left behind: {leftovers:?}");
    }
}

/// Linux only: Windows has no SIGSTOP to freeze a server with.
#[cfg(unix)]
#[test]
fn closing_a_stopped_or_dead_server_costs_at_most_100_ms() {
    for signal in [libc::SIGSTOP, libc::SIGKILL] {
        let bridged = fast("gain");
        let pid = server_pid(&bridged.plugin);
        // SAFETY: signalling the server process this test's proxy started.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        // Long enough for the heartbeat to go stale, shorter than the hang timeout (400 ms).
        std::thread::sleep(Duration::from_millis(250));
        let started = Instant::now();
        drop(bridged);
        let took = started.elapsed();
        assert!(
            took <= Duration::from_millis(100) + SCHEDULING_SLACK,
            "closing after signal {signal} took {took:?}"
        );
        // SAFETY: signalling the server this test's proxy started (already dead, or dies now).
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}
