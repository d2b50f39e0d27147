//! A plugin that hangs in a busy loop on the server's realtime audio thread, pinned to the
//! host's audio CPU, must not starve the host's realtime audio thread: the server runs one
//! step below the host's priority, so the host's thread wakes at its block deadline, plays
//! silence, and the watchdog restarts the plugin. (At equal priority a `SCHED_FIFO` spinner
//! would keep the host's thread off its CPU until the process is killed.)
//!
//! Alone in its test binary: it sets an environment variable the server inherits.

use std::time::{Duration, Instant};

use vstbridge_test_support::proxy_status::{late_blocks, restarts};
use vstbridge_test_support::{SAMPLE_RATE, load_bridged_with_options, sine, test_plugin};

const BLOCK: usize = 64;
/// A 64-frame period at 44.1 kHz.
const PERIOD: Duration = Duration::from_micros(1451);
const DEADLINE: Duration = Duration::from_millis(50);
/// How much later than its deadline a block may return on a loaded two-core machine.
const SCHEDULING_SLACK: Duration = Duration::from_millis(150);

#[test]
fn a_busy_hang_on_a_realtime_server_thread_never_holds_the_hosts_realtime_thread() {
    // SAFETY: the only test in this binary; no other thread reads the environment now.
    unsafe { std::env::set_var("VSTBRIDGE_TEST_HANG_SPIN", "1") };
    let options =
        // Following the host onto its CPU is the worst case here: the spinner shares it.
        "block_deadline_floor_ms = 50\nhang_timeout_ms = 400\ncall_timeout_ms = 1000\nmax_restarts_per_minute = 1000\nfollow_host_cpu = true\n";
    let bridged = load_bridged_with_options(&test_plugin("hang"), options);
    let plugin = &bridged.plugin;
    plugin.start(SAMPLE_RATE, BLOCK as i32);
    let input = sine(300.0, SAMPLE_RATE, 0.5, BLOCK);
    let max_block = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: zeroed sched_param and cpu_set_t are valid; only this thread's
                // affinity and scheduling change.
                let result = unsafe {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    libc::CPU_SET(0, &mut set);
                    assert_eq!(libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set), 0);
                    let mut param: libc::sched_param = std::mem::zeroed();
                    param.sched_priority = 20;
                    libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param)
                };
                assert_eq!(
                    result, 0,
                    "this test needs realtime scheduling (root, CAP_SYS_NICE or an rtprio limit)"
                );
                let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
                let mut block = || {
                    let started = Instant::now();
                    plugin
                        .process_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
                        .unwrap();
                    started.elapsed()
                };
                // The server follows the host's CPU and priority on the first blocks.
                for _ in 0..10 {
                    block();
                }
                plugin.set_parameter(0, 1.0);
                let mut max_block = Duration::ZERO;
                let started = Instant::now();
                while restarts(plugin) < 1 && started.elapsed() < Duration::from_secs(10) {
                    max_block = max_block.max(block());
                    // Like a DAW, wait for the next period: a realtime thread that never
                    // sleeps would keep even the killed server from exiting on this CPU.
                    std::thread::sleep(PERIOD);
                }
                max_block
            })
            .join()
            .unwrap()
    });
    assert!(restarts(plugin) >= 1, "the spinning plugin was killed and restarted");
    assert!(late_blocks(plugin) > 0, "the hung blocks were played as silence");
    assert!(
        max_block < DEADLINE + SCHEDULING_SLACK,
        "a block held the realtime host thread for {max_block:?}"
    );
}
