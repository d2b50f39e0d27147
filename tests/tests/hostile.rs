//! A plugin that misbehaves in every way a plugin inside the server can (our `hostile` test
//! plugin) never reaches into the host: the host process survives every mode, no call blocks
//! past its deadline, nothing is written outside the buffers the host passed, and the host
//! sees clamped counts and neutral values, the instance alive or restarted.
//!
//! Process calls here go straight through the proxy's `processReplacing` with channel arrays
//! that hold two real channels followed by canary channels: a proxy that indexed past the
//! channel count the host resumed it with would write into a canary.

use std::time::{Duration, Instant};

use vst2_abi::EffectOpcode;
use vst2_abi::effect::four_char_code;
use vst2_host::Plugin;
use vstbridge_test_support::proxy_status::{health, server_pid, wait_until};
use vstbridge_test_support::{Bridged, SAMPLE_RATE, load_bridged_with_options, sine, test_plugin};

const BLOCK: usize = 64;
const MODE_INDEX: i32 = four_char_code(b"VbHo");
/// Channels the host's arrays hold beyond the two it resumed the plugin with.
const CANARIES: usize = 62;
const CANARY: f32 = 7.0;
/// Short deadlines, so a misbehaving server is noticed fast; generous restarts.
const OPTIONS: &str = "block_deadline_floor_ms = 200\nhang_timeout_ms = 1000\ncall_timeout_ms = 2000\nslow_call_timeout_ms = 4000\nmax_restarts_per_minute = 1000\n";
/// How much later than its deadline a call may return on a loaded two-core machine.
const SLACK: Duration = Duration::from_millis(500);

fn hostile() -> Bridged {
    let bridged = load_bridged_with_options(&test_plugin("hostile"), OPTIONS);
    bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
    bridged
}

fn switch_on(plugin: &Plugin, mode: isize) -> isize {
    plugin.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, MODE_INDEX, mode, 0.0)
}

/// One block through the proxy's `processReplacing` with two real channels and canaries
/// after them; returns the two outputs. Panics if a canary was touched.
fn block_with_canaries(plugin: &Plugin) -> [Vec<f32>; 2] {
    let input = sine(440.0, SAMPLE_RATE, 0.5, BLOCK);
    let mut inputs: Vec<Vec<f32>> = vec![input.clone(), input];
    let mut outputs: Vec<Vec<f32>> = vec![vec![0.0; BLOCK], vec![0.0; BLOCK]];
    inputs.extend((0..CANARIES).map(|_| vec![CANARY; BLOCK]));
    outputs.extend((0..CANARIES).map(|_| vec![CANARY; BLOCK]));
    let input_ptrs: Vec<*const f32> = inputs.iter().map(|c| c.as_ptr()).collect();
    let mut output_ptrs: Vec<*mut f32> = outputs.iter_mut().map(|c| c.as_mut_ptr()).collect();
    let effect = plugin.effect_ptr();
    // SAFETY: the proxy's AEffect is live; both arrays hold 64 valid channel pointers of
    // BLOCK samples each, more than the two channels the host resumed the plugin with.
    unsafe {
        let process = (*effect).process_replacing.expect("the proxy has processReplacing");
        process(effect, input_ptrs.as_ptr(), output_ptrs.as_mut_ptr(), BLOCK as i32);
    }
    for canary in inputs[2..].iter().chain(&outputs[2..]) {
        assert!(
            canary.iter().all(|&s| s == CANARY),
            "the proxy touched a channel past the host's two"
        );
    }
    [outputs[0].clone(), outputs[1].clone()]
}

fn counts(plugin: &Plugin) -> (i32, i32, i32, i32, i32) {
    let effect = plugin.effect_ptr();
    // SAFETY: the proxy's AEffect is live; plain integer reads.
    unsafe {
        (
            (*effect).num_inputs,
            (*effect).num_outputs,
            (*effect).num_params,
            (*effect).num_programs,
            (*effect).initial_delay,
        )
    }
}

#[test]
fn hostile_io_change_inside_process_never_makes_the_proxy_index_past_the_hosts_arrays() {
    let bridged = hostile();
    let plugin = &bridged.plugin;
    let before = block_with_canaries(plugin);
    assert!(before[0].iter().any(|&s| s != 0.0), "the plugin passes audio through");
    assert_eq!(switch_on(plugin, 1), 1);
    for _ in 0..50 {
        block_with_canaries(plugin);
    }
    // The host heard of it and sees the new counts; its buffers grow only when it resumes.
    assert_eq!(counts(plugin).1, 64);
    assert!(!bridged.host.seen(vst2_abi::HostOpcode::IO_CHANGED).is_empty());
    assert_eq!(health(plugin), 0);
}

#[test]
fn hostile_silent_io_change_takes_effect_only_when_the_host_resumes() {
    let bridged = hostile();
    let plugin = &bridged.plugin;
    assert_eq!(switch_on(plugin, 2), 1);
    assert_eq!(counts(plugin).0, 64, "the new counts are shown");
    block_with_canaries(plugin); // still two channels: the host has not resumed
    plugin.set_active(false);
    plugin.set_active(true);
    // Resumed: the host's arrays are now the 64 it read; the proxy may use them all.
    let effect = plugin.effect_ptr();
    let input = vec![0.25f32; BLOCK];
    let inputs: Vec<&[f32]> = (0..64).map(|_| input.as_slice()).collect();
    let mut storage = vec![vec![0.0f32; BLOCK]; 64];
    let mut outputs: Vec<&mut [f32]> = storage.iter_mut().map(Vec::as_mut_slice).collect();
    assert!(!effect.is_null());
    plugin.process_replacing(&inputs, &mut outputs, BLOCK).unwrap();
    assert_eq!(storage[1], input, "the plugin's first two channels play");
}

#[test]
fn hostile_absurd_counts_are_clamped_before_the_host_sees_them() {
    let bridged = hostile();
    let plugin = &bridged.plugin;
    assert_eq!(switch_on(plugin, 3), 1);
    assert_eq!(counts(plugin), (256, 256, 65_536, 65_536, 0));
    // Until the host resumes, its arrays keep the two channels they had.
    let started = Instant::now();
    block_with_canaries(plugin);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(plugin.parameter(65_535), 0.0);
    assert_eq!(health(plugin), 0);
}

#[test]
fn hostile_huge_strings_and_floods_of_callbacks_return_within_the_deadline() {
    let bridged = hostile();
    let plugin = &bridged.plugin;
    let started = Instant::now();
    assert_eq!(switch_on(plugin, 4), 1);
    assert_eq!(switch_on(plugin, 5), 1, "20,000 callbacks inside one call");
    assert!(
        started.elapsed() < Duration::from_millis(2000) + SLACK,
        "the flooding calls took {:?}",
        started.elapsed()
    );
    let automations = bridged.host.seen(vst2_abi::HostOpcode::AUTOMATE).len();
    assert!(automations >= 20_000, "{automations} automations reached the host");
    let can_do = bridged.host.seen(vst2_abi::HostOpcode::CAN_DO);
    assert!(!can_do.is_empty(), "the canDo reached the host");
    for _ in 0..20 {
        let started = Instant::now();
        block_with_canaries(plugin);
        assert!(started.elapsed() < Duration::from_millis(200) + SLACK);
    }
    assert_eq!(health(plugin), 0);
}

#[test]
fn hostile_scribbling_over_the_shared_region_never_reaches_the_host() {
    let bridged = hostile();
    let plugin = &bridged.plugin;
    // MIDI and callbacks flow through the region too while it is scribbled on.
    assert_eq!(switch_on(plugin, 6), 1);
    let started = Instant::now();
    let mut blocks = 0;
    while started.elapsed() < Duration::from_millis(2500) {
        let began = Instant::now();
        block_with_canaries(plugin);
        assert!(
            began.elapsed() < Duration::from_millis(200) + SLACK,
            "a block took {:?}",
            began.elapsed()
        );
        let _ = plugin.parameter(0);
        let _ = plugin.parameter_name(1);
        blocks += 1;
    }
    assert!(blocks > 10);
    // Whatever the server made of it, the instance is alive again or being restarted, and
    // it plays once the scribbling stops.
    assert!(
        wait_until(Duration::from_secs(15), || {
            health(plugin) == 0 && block_with_canaries(plugin)[0].iter().any(|&s| s != 0.0)
        }),
        "the instance did not come back (health {})",
        health(plugin)
    );
}

#[test]
fn hostile_attempts_to_resize_the_region_are_refused() {
    let bridged = hostile();
    let plugin = &bridged.plugin;
    block_with_canaries(plugin);
    let pid = server_pid(plugin);
    assert_eq!(switch_on(plugin, 7), 1);
    assert_eq!(plugin.parameter(1), 1.0, "shrinking or growing the region succeeded");
    for _ in 0..10 {
        block_with_canaries(plugin);
    }
    assert_eq!((server_pid(plugin), health(plugin)), (pid, 0));
}

#[test]
fn hostile_children_inherit_no_token_and_do_not_hold_the_instance() {
    let bridged = hostile();
    let plugin = &bridged.plugin;
    assert_eq!(switch_on(plugin, 8), 1);
    assert_eq!(
        plugin.parameter(2),
        0.0,
        "the server's environment still holds the token"
    );
    let started = Instant::now();
    drop(bridged);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "closing took {:?}",
        started.elapsed()
    );
}

#[test]
fn hostile_callbacks_without_end_inside_a_call_never_hold_the_host_past_the_calls_budget() {
    let bridged = hostile();
    let plugin = &bridged.plugin;
    let started = Instant::now();
    // The plugin keeps calling back for 30 s; the host answers each at once. The call's
    // budget (call_timeout_ms = 2000 here) counts the server's time, not the host's.
    switch_on(plugin, 9);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2000) + SLACK, "the call took {took:?}");
    assert!(!bridged.host.seen(vst2_abi::HostOpcode::UPDATE_DISPLAY).is_empty());
    // The plugin hung the call: it is restarted and plays again.
    assert!(
        wait_until(Duration::from_secs(15), || health(plugin) == 0
            && block_with_canaries(plugin)[0].iter().any(|&s| s != 0.0)),
        "the instance did not come back"
    );
}
