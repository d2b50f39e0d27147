//! The server's audio thread follows the host's audio thread: to its CPU, to one step below
//! its realtime priority (and back to ordinary scheduling), and when the two still end up
//! on different CPUs the host spins briefly for the reply instead of sleeping. The region
//! is locked into RAM unless `lock_memory = false`.
//!
//! Realtime scheduling needs `CAP_SYS_NICE` or an `rtprio` limit; CI runs as root. Without
//! it these tests fail with a message saying so, rather than skip.

use std::path::PathBuf;
use std::time::Duration;

use vst2_host::Plugin;
use vstbridge_test_support::proxy_status::{pin_thread, server_audio_thread, server_pid};
use vstbridge_test_support::{PATIENT_OPTIONS, SAMPLE_RATE, load_bridged_with_options, sine, test_plugin};

const BLOCK: usize = 64;

/// Runs the calling thread under `SCHED_FIFO` at `priority`, or ordinary scheduling for 0.
fn set_realtime(priority: i32) {
    set_policy(
        if priority > 0 {
            libc::SCHED_FIFO
        } else {
            libc::SCHED_OTHER
        },
        priority,
    );
}

/// Sets the calling thread's scheduling with `sched_setscheduler`, as rtkit or `chrt` do
/// (behind glibc's back: its `pthread_getschedparam` cache does not see this).
fn set_policy(policy: i32, priority: i32) {
    // SAFETY: a zeroed sched_param is valid; pid 0 is the calling thread, the only one changed.
    let result = unsafe {
        let mut param: libc::sched_param = std::mem::zeroed();
        param.sched_priority = priority;
        libc::sched_setscheduler(0, policy, &param)
    };
    assert_eq!(
        result,
        0,
        "cannot set policy {policy:#x} priority {priority} ({}): these tests need realtime scheduling (root, CAP_SYS_NICE or an rtprio limit)",
        std::io::Error::last_os_error()
    );
}

/// The tests here pin threads to CPUs and run them realtime; run alone, none disturbs
/// another's measurement.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Pins thread `tid` (0: the calling thread) to `cpu`.
fn pin(tid: i32, cpu: usize) {
    pin_thread(tid, cpu).unwrap_or_else(|error| panic!("cannot pin thread {tid} to CPU {cpu}: {error}"));
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `/proc/<pid>/task/<tid>` of the server's audio thread.
fn audio_thread_of(plugin: &Plugin) -> PathBuf {
    assert!(server_pid(plugin) > 0, "the bridged plugin has a server");
    server_audio_thread(plugin).expect("the server has an audio thread once a block was processed")
}

/// (scheduling policy, realtime priority) of a thread, from its `stat`.
fn scheduling(task: &std::path::Path) -> (u32, u32) {
    let stat = std::fs::read_to_string(task.join("stat")).unwrap();
    // Fields after the command name, which ends at the last ')': the first is field 3.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split_whitespace().collect();
    (fields[41 - 3].parse().unwrap(), fields[40 - 3].parse().unwrap())
}

/// A line of a thread's `status` (`Cpus_allowed_list`, `VmLck`, ...).
fn status_field(task: &std::path::Path, key: &str) -> String {
    std::fs::read_to_string(task.join("status"))
        .unwrap()
        .lines()
        .find_map(|line| {
            line.strip_prefix(key)?
                .strip_prefix(':')
                .map(|value| value.trim().to_string())
        })
        .unwrap_or_else(|| panic!("{key} in {}", task.display()))
}

/// Processes `blocks` stereo blocks of a sine; returns the left output of the last.
fn process(plugin: &Plugin, blocks: usize) -> Vec<f32> {
    let input = sine(440.0, SAMPLE_RATE, 0.5, BLOCK);
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    for _ in 0..blocks {
        plugin
            .process_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
            .unwrap();
    }
    left
}

/// Voluntary context switches of the calling thread so far (each sleep is one).
fn voluntary_switches() -> u64 {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    let task = PathBuf::from(format!("/proc/self/task/{tid}"));
    status_field(&task, "voluntary_ctxt_switches").parse().unwrap()
}

#[test]
fn server_audio_thread_takes_the_host_threads_cpu_and_realtime_priority_below_it() {
    let _alone = one_at_a_time();
    let bridged = load_bridged_with_options(
        &test_plugin("gain"),
        &format!("{PATIENT_OPTIONS}follow_host_cpu = true\n"),
    );
    let plugin = &bridged.plugin;
    plugin.start(SAMPLE_RATE, BLOCK as i32);
    let cpu = cpus() - 1;
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                pin(0, cpu);
                // What rtkit gives PipeWire's and PulseAudio's clients.
                set_policy(libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, 20);
                process(plugin, 20);
                let audio = audio_thread_of(plugin);
                assert_eq!(
                    scheduling(&audio),
                    (libc::SCHED_FIFO as u32, 19),
                    "the server's audio thread runs SCHED_FIFO one step below the host's 20"
                );
                assert_eq!(status_field(&audio, "Cpus_allowed_list"), cpu.to_string());

                // A DAW that stops running its audio thread realtime: the server follows
                // within the re-read interval (a second).
                set_realtime(0);
                std::thread::sleep(Duration::from_millis(1100));
                process(plugin, 20);
                assert_eq!(scheduling(&audio), (libc::SCHED_OTHER as u32, 0));
            })
            .join()
            .unwrap();
    });
}

/// The server audio thread's (policy, priority) after 20 blocks from a host thread at
/// realtime `priority`, with extra sidecar `options`.
fn server_scheduling_under(priority: i32, options: &str) -> (u32, u32) {
    let _alone = one_at_a_time();
    let bridged = load_bridged_with_options(&test_plugin("gain"), &format!("{PATIENT_OPTIONS}{options}"));
    let plugin = &bridged.plugin;
    plugin.start(SAMPLE_RATE, BLOCK as i32);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                set_realtime(priority);
                process(plugin, 20);
                scheduling(&audio_thread_of(plugin))
            })
            .join()
            .unwrap()
    })
}

#[test]
fn host_priority_one_leaves_the_server_ordinary_so_the_host_always_preempts_it() {
    assert_eq!(server_scheduling_under(1, ""), (libc::SCHED_OTHER as u32, 0));
}

#[test]
fn following_the_priority_can_be_switched_off() {
    assert_eq!(
        server_scheduling_under(20, "follow_host_priority = false\n"),
        (libc::SCHED_OTHER as u32, 0)
    );
}

#[test]
fn the_audio_region_is_locked_into_ram_unless_switched_off() {
    let _alone = one_at_a_time();
    let locked_kib = |options: &str| {
        let bridged = load_bridged_with_options(&test_plugin("gain"), options);
        bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
        process(&bridged.plugin, 2);
        let pid = server_pid(&bridged.plugin);
        let status = PathBuf::from(format!("/proc/{pid}"));
        let value = status_field(&status, "VmLck");
        value.trim_end_matches("kB").trim().parse::<u64>().unwrap()
    };
    let locked = locked_kib(PATIENT_OPTIONS);
    assert!(
        locked >= 256,
        "the server locked its region ({locked} kB locked; without CAP_IPC_LOCK the memlock limit must exceed the region)"
    );
    assert_eq!(locked_kib(&format!("{PATIENT_OPTIONS}lock_memory = false\n")), 0);
}

/// With the server's audio thread held on another CPU, the output is still exact, and the
/// host's thread spins for the reply rather than sleeping on most blocks (a sleep is a
/// voluntary context switch); with spinning off it sleeps on every block.
#[test]
fn across_cpus_the_host_spins_for_the_reply_and_the_output_is_exact() {
    assert!(cpus() >= 2, "this test needs two CPUs");
    let _alone = one_at_a_time();
    let blocks = 400;
    let run = |options: &str| -> (Vec<f32>, u64) {
        let bridged = load_bridged_with_options(&test_plugin("gain"), options);
        let plugin = &bridged.plugin;
        plugin.start(SAMPLE_RATE, BLOCK as i32);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    pin(0, 0);
                    process(plugin, 5);
                    let audio = audio_thread_of(plugin);
                    let tid: i32 = audio.file_name().unwrap().to_str().unwrap().parse().unwrap();
                    pin(tid, 1);
                    // One block for the proxy to learn where the server now runs.
                    process(plugin, 1);
                    let before = voluntary_switches();
                    let output = process(plugin, blocks);
                    (output, voluntary_switches() - before)
                })
                .join()
                .unwrap()
        })
    };
    let apart = format!("{PATIENT_OPTIONS}follow_host_cpu = false\n");
    let (spun_output, spun_sleeps) = run(&format!("{apart}max_spin_us = 1000\n"));
    let (slept_output, slept_sleeps) = run(&format!("{apart}max_spin_us = 0\n"));

    let direct = Plugin::load(test_plugin("gain"), std::sync::Arc::new(vst2_host::DefaultHost)).unwrap();
    direct.open();
    direct.start(SAMPLE_RATE, BLOCK as i32);
    let expected = process(&direct, 1);
    assert_eq!(spun_output, expected);
    assert_eq!(slept_output, expected);
    assert!(
        slept_sleeps >= blocks as u64 * 9 / 10,
        "without spinning, every block sleeps ({slept_sleeps} sleeps in {blocks} blocks)"
    );
    assert!(
        spun_sleeps < blocks as u64 / 2,
        "with spinning, most replies are caught awake ({spun_sleeps} sleeps in {blocks} blocks)"
    );
}
