//! `test-plugin-hostile` ('VbHo'): a 2 in / 2 out pass-through effect that, on request,
//! misbehaves in the ways a plugin inside the server can, so the tests can show the DAW
//! never suffers for it.
//!
//! `effVendorSpecific` index [`MODE_INDEX`] with `value` = a [`Mode`] switches a behaviour
//! on (and returns 1):
//! - [`Mode::IoInProcess`]: every process call raises numInputs/numOutputs to 64 and calls
//!   `audioMasterIOChanged` from inside process;
//! - [`Mode::IoNow`]: sets numInputs/numOutputs to 64 now, without telling the host;
//! - [`Mode::AbsurdCounts`]: claims 2³¹−1 parameters and programs, 100,000 channels and a
//!   negative latency, and calls `audioMasterIOChanged`;
//! - [`Mode::HugeStrings`]: every process call asks the host `canDo` with a 100 KiB string,
//!   and the call itself asks for the vendor and product strings and the directory;
//! - [`Mode::Flood`]: the call makes 20,000 `audioMasterAutomate` callbacks, and every
//!   process call 200;
//! - [`Mode::Scribble`]: a thread of the plugin overwrites the whole shared audio region
//!   (found in `/proc/self/maps`) with random bytes for [`SCRIBBLE_FOR`];
//! - [`Mode::Truncate`]: tries to shrink and to grow the region's file through every
//!   descriptor of this process that names it; parameter 1 then reads 1.0 if every attempt
//!   was refused;
//! - [`Mode::Spawn`]: starts `sleep 5` as a child; parameter 2 reads 1.0 if the bridge's
//!   token is visible in this process's environment (it must not be);
//! - [`Mode::CallBackForever`]: the call keeps calling back (`audioMasterUpdateDisplay`
//!   every 100 ms) for 30 s before it returns.
//!
//! Parameters: 0 "Mode" (the last mode switched on, as value / 16), 1 "Truncate refused",
//! 2 "Token visible".

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use test_plugin_kit::{
    AtomicF32, Counts, Dispatch, DispatchCall, Host, Plugin, PluginInfo, ProcessFn, default_dispatch, export_plugin,
};
use vst2_abi::constants::category;
use vst2_abi::effect::{effect_flags, four_char_code};
use vst2_abi::strings::write_c_string;

/// The plugin's static description.
pub const INFO: PluginInfo = PluginInfo {
    unique_id: four_char_code(b"VbHo"),
    version: 1,
    num_params: 3,
    num_programs: 0,
    inputs: 2,
    outputs: 2,
    flags: effect_flags::CAN_REPLACING,
    initial_delay: 0,
    name: "Hostile",
    vendor: "vstbridge",
    product: "vstbridge test hostile",
    category: category::EFFECT,
};

/// effVendorSpecific index that switches a [`Mode`] on.
pub const MODE_INDEX: i32 = four_char_code(b"VbHo");
/// How long [`Mode::Scribble`] scribbles.
pub const SCRIBBLE_FOR: Duration = Duration::from_secs(2);

/// A misbehaviour (the `value` of the vendor call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Mode {
    /// Channel counts raised and announced inside process.
    IoInProcess = 1,
    /// Channel counts raised now, silently.
    IoNow = 2,
    /// Absurd counts.
    AbsurdCounts = 3,
    /// Huge strings in callbacks.
    HugeStrings = 4,
    /// Floods of callbacks.
    Flood = 5,
    /// Random bytes all over the shared region.
    Scribble = 6,
    /// Resizing the shared region.
    Truncate = 7,
    /// A child process.
    Spawn = 8,
    /// Callbacks for 30 s inside one call.
    CallBackForever = 9,
}

impl Mode {
    fn from_value(value: isize) -> Option<Self> {
        Some(match value {
            1 => Self::IoInProcess,
            2 => Self::IoNow,
            3 => Self::AbsurdCounts,
            4 => Self::HugeStrings,
            5 => Self::Flood,
            6 => Self::Scribble,
            7 => Self::Truncate,
            8 => Self::Spawn,
            9 => Self::CallBackForever,
            _ => return None,
        })
    }
}

/// The hostile plugin.
pub struct Hostile {
    host: Host,
    mode: AtomicU32,
    in_process: AtomicU32,
    truncate_refused: AtomicF32,
    token_visible: AtomicF32,
    scribbling: AtomicBool,
}

impl Plugin for Hostile {
    fn info() -> PluginInfo {
        INFO
    }

    fn new(host: Host) -> Self {
        Self {
            host,
            mode: AtomicU32::new(0),
            in_process: AtomicU32::new(0),
            truncate_refused: AtomicF32::new(0.0),
            token_visible: AtomicF32::new(0.0),
            scribbling: AtomicBool::new(false),
        }
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        match d.call {
            DispatchCall::VendorSpecific(call) if call.index == MODE_INDEX => {
                let Some(mode) = Mode::from_value(call.value) else {
                    return 0;
                };
                self.mode.store(mode as u32, Ordering::SeqCst);
                self.switch_on(mode);
                1
            }
            DispatchCall::GetParamName(index, out) => {
                write_c_string(
                    out,
                    ["Mode", "Trunc", "Token"]
                        .get(index as usize)
                        .copied()
                        .unwrap_or_default(),
                );
                0
            }
            other => default_dispatch(&INFO, other),
        }
    }

    fn process_begin(&self, _which: ProcessFn, _frames: i32) {
        match self.in_process.load(Ordering::SeqCst) {
            m if m == Mode::IoInProcess as u32 => {
                self.host.set_counts(Counts {
                    num_inputs: Some(64),
                    num_outputs: Some(64),
                    ..Counts::default()
                });
                self.host.io_changed();
            }
            m if m == Mode::HugeStrings as u32 => {
                self.host.can_do(&"x".repeat(100 << 10));
            }
            m if m == Mode::Flood as u32 => {
                for i in 0..200 {
                    self.host.automate(0, (i % 100) as f32 / 100.0);
                }
            }
            _ => {}
        }
    }

    fn process_f32(&self, inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        for (input, output) in inputs.iter().zip(outputs.iter_mut()) {
            output.copy_from_slice(input);
        }
    }

    fn set_parameter(&self, _index: i32, _value: f32) {}

    fn get_parameter(&self, index: i32) -> f32 {
        match index {
            0 => self.mode.load(Ordering::SeqCst) as f32 / 16.0,
            1 => self.truncate_refused.load(),
            2 => self.token_visible.load(),
            _ => 0.0,
        }
    }
}

impl Hostile {
    fn switch_on(&self, mode: Mode) {
        match mode {
            Mode::IoInProcess | Mode::HugeStrings | Mode::Flood => {
                self.in_process.store(mode as u32, Ordering::SeqCst);
                if mode == Mode::HugeStrings {
                    // Ask the host for strings (the plugin's buffers are what it gives).
                    let _ = self.host.can_do(&"y".repeat(100 << 10));
                }
                if mode == Mode::Flood {
                    for i in 0..20_000 {
                        self.host.automate(0, (i % 100) as f32 / 100.0);
                    }
                }
            }
            Mode::IoNow => self.host.set_counts(Counts {
                num_inputs: Some(64),
                num_outputs: Some(64),
                ..Counts::default()
            }),
            Mode::AbsurdCounts => {
                self.host.set_counts(Counts {
                    num_inputs: Some(100_000),
                    num_outputs: Some(100_000),
                    num_params: Some(i32::MAX),
                    num_programs: Some(i32::MAX),
                    initial_delay: Some(-5),
                });
                self.host.io_changed();
            }
            Mode::Scribble => {
                if !self.scribbling.swap(true, Ordering::SeqCst) {
                    let _ = std::thread::Builder::new()
                        .name("hostile-scribbler".into())
                        .spawn(scribble);
                }
            }
            Mode::Truncate => self
                .truncate_refused
                .store(if try_to_resize_regions() { 1.0 } else { 0.0 }),
            Mode::CallBackForever => {
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(30) {
                    self.host.update_display();
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            Mode::Spawn => {
                let _ = std::process::Command::new("sleep").arg("5").spawn();
                let visible = std::env::vars().any(|(key, _)| key.contains("VSTBRIDGE_TOKEN"));
                self.token_visible.store(if visible { 1.0 } else { 0.0 });
            }
        }
    }
}

/// The address ranges of this process's mappings of the bridge's audio region.
fn region_mappings() -> Vec<(usize, usize)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    maps.lines()
        .filter(|line| line.contains("vstbridge-region"))
        .filter_map(|line| {
            let (start, end) = line.split_whitespace().next()?.split_once('-')?;
            Some((
                usize::from_str_radix(start, 16).ok()?,
                usize::from_str_radix(end, 16).ok()?,
            ))
        })
        .collect()
}

/// Overwrites every mapping of the region with pseudo-random bytes until [`SCRIBBLE_FOR`]
/// has passed.
fn scribble() {
    let started = Instant::now();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    while started.elapsed() < SCRIBBLE_FOR {
        for (start, end) in region_mappings() {
            let mut at = start;
            while at + 8 <= end {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // SAFETY: `at..at + 8` lies inside a shared mapping of this process (from
                // /proc/self/maps), aligned to 8. Nothing in this process holds a Rust
                // reference into it: the server reaches the region only through raw pointers
                // and atomics. Corrupting what it holds is this mode's purpose; the server
                // may fail of it, the host must not.
                unsafe { (at as *mut u64).write_volatile(state) };
                at += 8;
            }
        }
    }
}

/// Tries to shrink and to grow the region through every descriptor naming it; `true` if
/// there was at least one and every attempt was refused.
fn try_to_resize_regions() -> bool {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    let mut found = false;
    for entry in entries.flatten() {
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        if !target.to_string_lossy().contains("vstbridge-region") {
            continue;
        }
        found = true;
        let Ok(file) = std::fs::File::options().read(true).write(true).open(entry.path()) else {
            continue;
        };
        let Ok(length) = file.metadata().map(|m| m.len()) else {
            continue;
        };
        if file.set_len(length / 2).is_ok() || file.set_len(length * 2).is_ok() {
            return false;
        }
    }
    found
}

export_plugin!(Hostile);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_audio_through_and_knows_its_modes() {
        let mut h = test_plugin_kit::harness::Harness::new::<Hostile>().unwrap();
        let (mut l, mut r) = ([0.0f32; 4], [0.0f32; 4]);
        h.process_f32(&[&[1.0; 4], &[2.0; 4]], &mut [&mut l, &mut r], false);
        assert_eq!((l, r), ([1.0; 4], [2.0; 4]));
        assert_eq!(Mode::from_value(6), Some(Mode::Scribble));
        assert_eq!(Mode::from_value(0), None);
    }
}
