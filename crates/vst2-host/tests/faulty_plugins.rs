//! The crash and hang test plugins fail where they are told to. Each failure runs in a
//! child process (this test binary, re-run on the hidden `fault_child` test), so this
//! process survives to check how the child ended.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vst2_abi::EffectOpcode;
use vst2_abi::effect::four_char_code;
use vst2_host::{DefaultHost, Plugin};
use vstbridge_test_support::test_plugin;

const SIGABRT: i32 = 6;
const SIGSEGV: i32 = 11;

/// Runs in the child: loads a plugin and makes it fail as `VSTBRIDGE_FAULT` says.
#[test]
#[ignore = "run in a child process by the other tests of this file"]
fn fault_child() {
    let Ok(action) = std::env::var("VSTBRIDGE_FAULT") else {
        return;
    };
    let (plugin_name, action) = action.split_once(':').expect("plugin:action");
    let plugin = Plugin::load(test_plugin(plugin_name), Arc::new(DefaultHost)).expect("loads");
    plugin.start(44_100.0, 64);
    let input = vec![0.0f32; 64];
    let (mut left, mut right) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    match action {
        "process-segv" | "process-hang" => {
            plugin.set_parameter(0, 1.0);
            plugin
                .process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)
                .unwrap();
        }
        "process-abort" => {
            plugin.set_parameter(1, 1.0);
            plugin.set_parameter(0, 1.0);
            plugin
                .process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)
                .unwrap();
        }
        "dispatch-abort" | "dispatch-hang" => {
            plugin.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(b"Fail"), 1, 0.0);
        }
        "thread-segv" => {
            plugin.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(b"FThr"), 0, 0.0);
            std::thread::sleep(Duration::from_secs(3));
        }
        other => panic!("unknown action {other}"),
    }
}

/// Runs `fault_child` with `fault` (and extra environment) and returns how it ended, or
/// `None` if it was still running after `patience` (then it is killed).
fn run_child(fault: &str, env: &[(&str, &str)], patience: Duration) -> Option<ExitStatus> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "fault_child",
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("VSTBRIDGE_FAULT", fault)
        .envs(env.iter().copied())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

fn assert_killed_by(status: Option<ExitStatus>, signal: i32) {
    let status = status.expect("the child should have died, not hung");
    assert_eq!(status.signal(), Some(signal), "child ended with {status}");
}

#[test]
fn crash_plugin_segfaults_in_process_when_triggered() {
    assert_killed_by(run_child("crash:process-segv", &[], Duration::from_secs(20)), SIGSEGV);
}

#[test]
fn crash_plugin_aborts_in_process_in_abort_mode() {
    assert_killed_by(run_child("crash:process-abort", &[], Duration::from_secs(20)), SIGABRT);
}

#[test]
fn crash_plugin_aborts_inside_the_dispatcher() {
    assert_killed_by(run_child("crash:dispatch-abort", &[], Duration::from_secs(20)), SIGABRT);
}

#[test]
fn crash_plugin_crashes_from_its_own_thread() {
    assert_killed_by(run_child("crash:thread-segv", &[], Duration::from_secs(20)), SIGSEGV);
}

#[test]
fn crash_plugin_crashes_in_its_entry_point() {
    let status = run_child(
        "crash:process-segv",
        &[("VSTBRIDGE_TEST_CRASH_AT", "entry")],
        Duration::from_secs(20),
    );
    assert_killed_by(status, SIGSEGV);
}

#[test]
fn hang_plugin_never_returns_from_process() {
    assert!(
        run_child("hang:process-hang", &[], Duration::from_secs(2)).is_none(),
        "process should hang"
    );
}

#[test]
fn hang_plugin_never_returns_from_the_dispatcher() {
    assert!(
        run_child("hang:dispatch-hang", &[], Duration::from_secs(2)).is_none(),
        "dispatcher should hang"
    );
}

#[test]
fn hang_plugin_never_returns_from_its_entry_point() {
    let status = run_child(
        "hang:process-hang",
        &[("VSTBRIDGE_TEST_HANG_AT", "entry")],
        Duration::from_secs(2),
    );
    assert!(status.is_none(), "entry point should hang");
}
