//! A plugin that throws C++ exceptions out of its dispatcher and its process function (our
//! C++ test plugin `throw`) keeps its server alive: the exception is caught at the server's
//! boundary and the host gets the neutral answer, as a C++ host loading it directly would
//! survive it. The same guard protects the host library when it loads the plugin directly.

use std::sync::Arc;

use vst2_host::{Plugin, ProcessError};
use vstbridge_test_support::proxy_status::{health, restarts, server_pid};
use vstbridge_test_support::{RecordingHost, SAMPLE_RATE, load_bridged, test_plugin};

const FRAMES: usize = 256;

fn play(plugin: &Plugin) -> (Vec<f32>, Result<(), ProcessError>) {
    let input: Vec<f32> = (0..FRAMES).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
    let mut output = vec![1.0f32; FRAMES];
    let result = plugin.process_replacing(&[&input], &mut [&mut output], FRAMES);
    (output, result)
}

#[test]
fn plugin_exceptions_from_dispatcher_and_process_leave_the_server_alive() {
    let bridged = load_bridged(&test_plugin("throw"));
    let plugin = &bridged.plugin;
    plugin.start(SAMPLE_RATE, FRAMES as i32);
    let pid = server_pid(plugin);
    assert!(pid > 0);
    assert_eq!(plugin.effect_name(), "Thrower");

    // Dispatcher: the neutral answers.
    assert_eq!(
        plugin.parameter_display(0),
        "",
        "a throwing effGetParamDisplay answers an empty text"
    );
    assert_eq!(plugin.vendor_version(), 0, "a throwing effGetVendorVersion answers 0");
    assert_eq!(plugin.parameter_name(0), "Throw", "the plugin still answers");

    // Process: the block that threw plays silence, never what the plugin wrote before
    // throwing; the next one plays again.
    let (before, result) = play(plugin);
    result.unwrap();
    assert!(before.iter().any(|&s| s != 0.0), "the plugin passes its input through");
    plugin.set_parameter(0, 1.0);
    let (thrown, result) = play(plugin);
    result.unwrap();
    assert!(
        thrown.iter().all(|&s| s == 0.0),
        "a block that threw is silent: {:?}",
        &thrown[..4]
    );
    plugin.set_parameter(0, 0.0);
    let (after, result) = play(plugin);
    result.unwrap();
    assert_eq!(after, before, "after the exception the plugin plays as before");

    assert_eq!(server_pid(plugin), pid, "the same server");
    assert_eq!((restarts(plugin), health(plugin)), (0, 0), "no restart, alive");
}

#[test]
fn plugin_exceptions_are_contained_when_loaded_directly_too() {
    let plugin = Plugin::load(test_plugin("throw"), Arc::new(RecordingHost::default())).unwrap();
    plugin.start(SAMPLE_RATE, FRAMES as i32);
    assert_eq!(plugin.parameter_display(0), "");
    assert_eq!(plugin.vendor_version(), 0);
    plugin.set_parameter(0, 1.0);
    assert!(matches!(play(&plugin).1, Err(ProcessError::Threw)));
    plugin.set_parameter(0, 0.0);
    play(&plugin).1.unwrap();
}
