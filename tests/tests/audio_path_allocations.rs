//! The audio path allocates nothing: after warm-up, blocks with events, parameter changes
//! from the audio thread, getParameter from the audio thread, MIDI sent back and transport
//! reads add zero to the heap-allocation counters of the proxy and of the server (each has
//! a counting global allocator; the proxy reports both through its own vendor opcodes).

use vst2_abi::EffectOpcode;
use vst2_host::{EventList, Plugin};
use vstbridge_test_support::{SAMPLE_RATE, load_bridged, sine, test_plugin, test_plugin_for_triple};

const BLOCK: usize = 128;

/// The proxy's own opcodes (see `vstbridge_proxy::ffi`).
const PROXY_ALLOCATIONS: i32 = vst2_abi::effect::four_char_code(b"VbAp");
const SERVER_ALLOCATIONS: i32 = vst2_abi::effect::four_char_code(b"VbAs");

fn counts(plugin: &Plugin) -> (isize, isize) {
    (
        plugin.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, PROXY_ALLOCATIONS, 0, 0.0),
        plugin.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, SERVER_ALLOCATIONS, 0, 0.0),
    )
}

fn run_blocks(plugin: &Plugin, events: &mut EventList, blocks: usize) {
    let inputs = plugin.info().num_inputs as usize;
    let input = sine(440.0, SAMPLE_RATE, 0.5, BLOCK);
    let ins = vec![input.as_slice(); inputs];
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    for block in 0..blocks {
        events.clear();
        events.push_midi_bytes(3, [0x90, 60 + (block % 12) as u8, 100]);
        events.push_midi_bytes(70, [0x80, 60 + (block % 12) as u8, 0]);
        plugin.process_events(events);
        plugin.set_parameter(0, (block % 10) as f32 / 10.0);
        let _ = plugin.parameter(0);
        plugin
            .process_replacing(&ins, &mut [&mut left, &mut right], BLOCK)
            .unwrap();
    }
}

#[test]
fn no_heap_allocation_per_block_in_proxy_or_server() {
    for path in [
        test_plugin("synth"),
        test_plugin("gain"),
        test_plugin_for_triple(vstbridge_test_support::I686_TRIPLE, "synth"),
    ] {
        let bridged = load_bridged(&path);
        let plugin = &bridged.plugin;
        plugin.start(SAMPLE_RATE, BLOCK as i32);
        let mut events = EventList::with_capacity(16);
        // Warm-up: first use of the region, thread-locals and the DAW's own buffers.
        run_blocks(plugin, &mut events, 20);
        let before = counts(plugin);
        assert!(before.1 >= 0, "the server reported its count");
        run_blocks(plugin, &mut events, 500);
        let after = counts(plugin);
        assert_eq!(
            after,
            before,
            "{}: allocations (proxy, server) grew during 500 blocks",
            path.display()
        );
    }
}
