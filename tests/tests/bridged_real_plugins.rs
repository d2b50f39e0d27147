//! Debian's dpf plugins through the bridge. The i386 builds run in the i686 server and are
//! compared with the amd64 builds loaded directly, sample by sample, within −120 dB of the
//! signal's peak: the two builds differ by about 6e-8 at unity level on their own (x87
//! against SSE arithmetic, growing with gain), so that tolerance passes them while any lost
//! block, shifted buffer or wrong parameter fails by orders of magnitude. The amd64 builds through the x86_64 server must match direct loading bit
//! for bit. Kars draws random excitation, so it is compared by loudness.

use std::sync::Arc;

use vst2_host::{EventList, Plugin};
use vstbridge_test_support::{RecordingHost, SAMPLE_RATE, load_bridged, real_plugin_for, rms, sine};

const BLOCK: usize = 512;
/// −120 dB, relative to the signal's peak (at least full scale): the i386/amd64 tolerance
/// for deterministic plugins.
const TOLERANCE: f32 = 1e-6;

fn tolerance_for(expected: &[f32]) -> f32 {
    TOLERANCE * vstbridge_test_support::peak(expected).max(1.0)
}

fn direct_amd64(file: &str) -> Plugin {
    let plugin = Plugin::load(real_plugin_for("amd64", file), Arc::new(RecordingHost::default())).unwrap();
    plugin.start(SAMPLE_RATE, BLOCK as i32);
    plugin
}

/// Renders `blocks` blocks of a sine burst (then silence) through a 1- or 2-input effect,
/// applying `automate(plugin, block)` before each block. Returns every output channel.
fn render_effect(plugin: &Plugin, blocks: usize, automate: &dyn Fn(&Plugin, usize)) -> Vec<f32> {
    let info = plugin.info();
    let (inputs, outputs) = (info.num_inputs as usize, info.num_outputs as usize);
    let burst = sine(330.0, SAMPLE_RATE, 0.6, BLOCK * blocks / 2);
    let silence = vec![0.0f32; BLOCK];
    let mut out = vec![vec![0.0f32; BLOCK]; outputs];
    let mut rendered = Vec::new();
    for block in 0..blocks {
        automate(plugin, block);
        let input: &[f32] = burst.get(block * BLOCK..(block + 1) * BLOCK).unwrap_or(&silence);
        let ins = vec![input; inputs];
        let mut outs: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
        plugin.process_replacing(&ins, &mut outs, BLOCK).unwrap();
        for channel in &out {
            rendered.extend_from_slice(channel);
        }
    }
    rendered
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn no_automation(_: &Plugin, _: usize) {}

fn eq_automation(plugin: &Plugin, block: usize) {
    // Sweep the low, mid and high bands and the master gain while it plays.
    let t = block as f32 / 24.0;
    for index in 0..4 {
        plugin.set_parameter(index, (0.2 + 0.6 * ((t + index as f32 * 0.25) % 1.0)).clamp(0.0, 1.0));
    }
}

#[test]
fn bridged_i386_mafreeverb_matches_amd64_direct_within_tolerance() {
    let expected = render_effect(&direct_amd64("MaFreeverb-vst.so"), 24, &no_automation);
    let bridged = load_bridged(&real_plugin_for("i386", "MaFreeverb-vst.so"));
    bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
    let rendered = render_effect(&bridged.plugin, 24, &no_automation);
    let tail = &rendered[rendered.len() / 2..];
    assert!(rms(tail) > 1e-4, "a reverb tail after the burst, rms {}", rms(tail));
    let (difference, tolerance) = (max_difference(&rendered, &expected), tolerance_for(&expected));
    assert!(
        difference <= tolerance,
        "max sample difference {difference:e} exceeds {tolerance:e}"
    );
}

#[test]
fn bridged_i386_3bandeq_with_parameter_changes_matches_amd64_direct() {
    let expected = render_effect(&direct_amd64("3BandEQ-vst.so"), 24, &eq_automation);
    let bridged = load_bridged(&real_plugin_for("i386", "3BandEQ-vst.so"));
    bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
    let rendered = render_effect(&bridged.plugin, 24, &eq_automation);
    assert!(rms(&rendered) > 0.01);
    let (difference, tolerance) = (max_difference(&rendered, &expected), tolerance_for(&expected));
    assert!(
        difference <= tolerance,
        "max sample difference {difference:e} exceeds {tolerance:e}"
    );
    for index in 0..bridged.plugin.info().num_params {
        let direct = direct_amd64("3BandEQ-vst.so");
        assert_eq!(bridged.plugin.parameter_name(index), direct.parameter_name(index));
        assert_eq!(bridged.plugin.parameter_label(index), direct.parameter_label(index));
    }
}

#[test]
fn bridged_amd64_plugins_match_direct_bit_for_bit() {
    for (file, automate) in [
        ("MaFreeverb-vst.so", &no_automation as &dyn Fn(&Plugin, usize)),
        ("3BandEQ-vst.so", &eq_automation),
    ] {
        let expected = render_effect(&direct_amd64(file), 16, automate);
        let bridged = load_bridged(&real_plugin_for("amd64", file));
        bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
        assert!(
            render_effect(&bridged.plugin, 16, automate) == expected,
            "{file} differs when bridged"
        );
    }
}

fn render_kars(kars: &Plugin) -> Vec<f32> {
    let mut out = vec![0.0f32; BLOCK];
    let mut rendered = Vec::new();
    let mut events = EventList::with_capacity(4);
    for block in 0..40 {
        events.clear();
        match block {
            0 => events.push_midi_bytes(0, [0x90, 57, 110]),
            10 => events.push_midi_bytes(128, [0x90, 64, 100]),
            30 => {
                events.push_midi_bytes(0, [0x80, 57, 0]);
                events.push_midi_bytes(0, [0x80, 64, 0]);
            }
            _ => {}
        }
        kars.process_events(&mut events);
        kars.process_replacing(&[], &mut [&mut out], BLOCK).unwrap();
        rendered.extend_from_slice(&out);
    }
    rendered
}

#[test]
fn bridged_kars_plays_midi_notes_as_loud_as_direct() {
    let reference = rms(&render_kars(&direct_amd64("Kars-vst.so")));
    assert!(reference > 0.005, "direct Kars sounds, rms {reference}");
    for arch in ["i386", "amd64"] {
        let bridged = load_bridged(&real_plugin_for(arch, "Kars-vst.so"));
        bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
        let level = rms(&render_kars(&bridged.plugin));
        let ratio_db = 20.0 * (level / reference).log10();
        assert!(
            ratio_db.abs() < 3.0,
            "{arch} Kars bridged is {ratio_db:.1} dB off the direct level"
        );
    }
}

/// A restart restores what the DAW set, not every value the plugin reports: Debian's
/// 3BandEQ reports a 220 Hz crossover but filters at 200 Hz until that parameter is set, so
/// replaying its own reported values changed its sound by -26 dB (found by the Windows
/// tests). Killed mid-render, it must come back sounding exactly like a fresh instance with
/// the same parameters.
#[test]
fn killed_i386_3bandeq_comes_back_sounding_as_before() {
    // Suspended and resumed after the restart, which clears the EQ's filters as in a fresh
    // instance.
    let (restarted, fresh) =
        vstbridge_test_support::restarted_beside_fresh(&real_plugin_for("i386", "3BandEQ-vst.so"), [0.25, 0.8]);
    assert!(
        restarted == fresh,
        "the restarted 3BandEQ sounds different from a fresh one with the same parameters"
    );
}
