//! Plugin groups: instances whose configuration names one group share one server process
//! (per DAW process and architecture), where they see each other as a plugin's instances in
//! one process do; another group, no group, or another architecture runs elsewhere. When the
//! group's process dies, every instance in it comes back with its own state; after the last
//! instance closes, the process ends.
#![cfg(target_os = "linux")]

use std::sync::Arc;
use std::time::Duration;

use vst2_abi::EffectOpcode;
use vst2_abi::effect::four_char_code;
use vst2_host::Plugin;
use vstbridge_test_support::proxy_status::{health, restarts, server_pid, wait_until};
use vstbridge_test_support::{
    I686_TRIPLE, PATIENT_OPTIONS, REFERENCE_BLOCK, RecordingHost, load_bridged, load_bridged_with_options, processes,
    render_blocks, test_plugin, test_plugin_for_triple, unique_number,
};

/// Short deadlines and generous restart limits, for the crash test.
const FAST: &str =
    "block_deadline_floor_ms = 200\nhang_timeout_ms = 1000\ncall_timeout_ms = 2000\nmax_restarts_per_minute = 1000\n";

/// The sidecar options that put an instance in group `group`.
fn in_group(group: &str, options: &str) -> String {
    format!("{options}group = {group:?}\n")
}

/// How many probe instances live in the probe's process (its `PrIn` vendor call).
fn instances_beside(probe: &Plugin) -> isize {
    probe.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(b"PrIn"), 0, 0.0)
}

#[test]
fn instances_of_one_group_share_a_server_and_see_each_other() {
    let group = format!("probes {}", unique_number());
    let probe = test_plugin("probe");
    let first = load_bridged_with_options(&probe, &in_group(&group, PATIENT_OPTIONS));
    let second = load_bridged_with_options(&probe, &in_group(&group, PATIENT_OPTIONS));
    let alone = load_bridged(&probe);
    let elsewhere = load_bridged_with_options(&probe, &in_group(&format!("{group} too"), PATIENT_OPTIONS));
    let other_width = load_bridged_with_options(
        &test_plugin_for_triple(I686_TRIPLE, "probe"),
        &in_group(&group, PATIENT_OPTIONS),
    );
    let shared = server_pid(&first.plugin);
    assert!(shared > 0);
    assert_eq!(server_pid(&second.plugin), shared, "one group, one server");
    for (what, bridged) in [
        ("no group", &alone),
        ("another group", &elsewhere),
        ("the i686 build", &other_width),
    ] {
        assert_ne!(server_pid(&bridged.plugin), shared, "{what}: a server of its own");
        assert_eq!(instances_beside(&bridged.plugin), 1, "{what}: alone in its process");
    }
    assert_eq!(
        instances_beside(&first.plugin),
        2,
        "the group's instances see each other"
    );
    assert_eq!(instances_beside(&second.plugin), 2);

    // One leaves: the other stays, in the same process.
    drop(second);
    assert_eq!(instances_beside(&first.plugin), 1);
    assert_eq!(server_pid(&first.plugin), shared);
    // The last leaves: the group's process ends by itself.
    drop(first);
    assert!(
        wait_until(Duration::from_secs(10), || !processes::is_running(shared as u32)),
        "the group's server outlived its last instance"
    );
}

#[test]
fn a_crash_of_the_groups_server_restarts_every_instance_with_its_own_state() {
    let group = format!("gains {}", unique_number());
    let gain = test_plugin("gain");
    let values = [0.2f32, 0.8];
    let members: Vec<_> = values
        .iter()
        .map(|&value| {
            let bridged = load_bridged_with_options(&gain, &in_group(&group, FAST));
            bridged.plugin.start(48_000.0, REFERENCE_BLOCK as i32);
            bridged.plugin.set_parameter(0, value);
            render_blocks(&bridged.plugin, 2);
            bridged
        })
        .collect();
    let killed = server_pid(&members[0].plugin);
    assert_eq!(server_pid(&members[1].plugin), killed);
    processes::kill(killed as u32).unwrap();

    for (bridged, &value) in members.iter().zip(&values) {
        let plugin = &bridged.plugin;
        assert!(
            wait_until(Duration::from_secs(20), || {
                render_blocks(plugin, 1);
                restarts(plugin) >= 1 && health(plugin) == 0
            }),
            "an instance of the group did not come back (restarts {}, health {})",
            restarts(plugin),
            health(plugin)
        );
        let direct = Plugin::load(&gain, Arc::new(RecordingHost::default())).unwrap();
        direct.start(48_000.0, REFERENCE_BLOCK as i32);
        direct.set_parameter(0, value);
        assert_eq!(
            render_blocks(plugin, 4),
            render_blocks(&direct, 4),
            "the instance with gain {value} came back without its state"
        );
    }
    let restarted = server_pid(&members[0].plugin);
    assert_ne!(restarted, killed, "a new server runs");
    assert_eq!(
        server_pid(&members[1].plugin),
        restarted,
        "the group came back as one group"
    );
}

#[test]
fn instances_loaded_at_once_still_make_one_group() {
    let group = format!("racing {}", unique_number());
    let probe = test_plugin("probe");
    let options = in_group(&group, PATIENT_OPTIONS);
    // Four threads load at once: each may find no server and start one; one must serve.
    let loaded: Vec<_> = std::thread::scope(|scope| {
        let loading: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| load_bridged_with_options(&probe, &options)))
            .collect();
        loading.into_iter().map(|thread| thread.join().unwrap()).collect()
    });
    let pid = server_pid(&loaded[0].plugin);
    for bridged in &loaded {
        assert_eq!(
            server_pid(&bridged.plugin),
            pid,
            "instances loaded at once split the group"
        );
        assert_eq!(instances_beside(&bridged.plugin), 4);
    }
}
