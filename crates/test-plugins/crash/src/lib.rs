//! `test-plugin-crash` ('VbCr'): a 2 in / 2 out pass-through effect that kills its process
//! on request, for testing crash isolation.
//!
//! Flags CanReplacing | CanDoubleReplacing; category Effect; effect name "Crash", vendor
//! "vstbridge", product "vstbridge test crash", version 1; no programs.
//!
//! Triggers:
//! - (a) Entry point: environment variable `VSTBRIDGE_TEST_CRASH_AT=entry` makes
//!   `VSTPluginMain`/`main` crash; how is chosen by `VSTBRIDGE_TEST_CRASH_HOW=segv|abort`
//!   (default and any other value: segv).
//! - (a') effOpen: `VSTBRIDGE_TEST_CRASH_AT=open` makes effOpen crash (how as in (a)).
//! - (b) Parameter 0 "Trigger": a value >= 0.5 arms the plugin (a lower value disarms it);
//!   the next call of any of the three process functions crashes, before touching the
//!   buffers. Parameter 1 "Mode" picks how: < 0.5 SIGSEGV, >= 0.5 abort.
//! - (c) effVendorSpecific index `four_char_code(b"Fail")`: crashes inside that dispatcher
//!   call; `value` 1 = abort, anything else (0) = SIGSEGV.
//! - (d) effVendorSpecific index `four_char_code(b"FThr")`: spawns a plugin-owned thread
//!   that crashes 50 ms later (`value` as in (c)); the call itself returns 1 at once.
//!
//! "SIGSEGV" is `libc::raise(SIGSEGV)`, twice (a handler such as Rust std's may restore the
//! default and return), then `abort()` should a host handler keep returning;
//! "abort" is `std::process::abort()` (SIGABRT). This crate holds the only unsafe block of
//! the test plugins outside the kit: the `raise` call.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use test_plugin_kit::{
    AtomicF32, Dispatch, DispatchCall, Host, Plugin, PluginInfo, ProcessFn, default_dispatch, export_plugin,
    pass_through,
};
use vst2_abi::constants::category;
use vst2_abi::effect::{effect_flags, four_char_code};
use vst2_abi::strings::write_c_string;

/// The plugin's static description.
pub const INFO: PluginInfo = PluginInfo {
    unique_id: four_char_code(b"VbCr"),
    version: 1,
    num_params: 2,
    num_programs: 0,
    inputs: 2,
    outputs: 2,
    flags: effect_flags::CAN_REPLACING | effect_flags::CAN_DOUBLE_REPLACING,
    initial_delay: 0,
    name: "Crash",
    vendor: "vstbridge",
    product: "vstbridge test crash",
    category: category::EFFECT,
};

/// effVendorSpecific index: crash inside the call.
pub const FAIL_INDEX: i32 = four_char_code(b"Fail");
/// effVendorSpecific index: crash on a plugin-owned thread 50 ms later.
pub const THREAD_INDEX: i32 = four_char_code(b"FThr");
/// Environment variable of the entry-point trigger (value `entry`).
pub const AT_VAR: &str = "VSTBRIDGE_TEST_CRASH_AT";
/// Environment variable choosing how the entry-point trigger crashes (`segv` | `abort`).
pub const HOW_VAR: &str = "VSTBRIDGE_TEST_CRASH_HOW";

/// How to crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Raise SIGSEGV.
    Segv,
    /// `std::process::abort()`.
    Abort,
}

impl How {
    /// From a vendor-call `value`: 1 = abort, else SIGSEGV.
    pub fn from_value(value: isize) -> Self {
        if value == 1 { Self::Abort } else { Self::Segv }
    }

    /// From the "Mode" parameter: >= 0.5 = abort.
    pub fn from_mode(mode: f32) -> Self {
        if mode >= 0.5 { Self::Abort } else { Self::Segv }
    }

    /// From [`HOW_VAR`]'s text: `abort` = abort, else SIGSEGV.
    pub fn from_env_text(text: Option<&str>) -> Self {
        if text.map(str::trim) == Some("abort") {
            Self::Abort
        } else {
            Self::Segv
        }
    }
}

/// Kills the process.
pub fn crash(how: How) -> ! {
    if how == How::Segv {
        // Rust's std (in a Rust host) installs a SIGSEGV handler that, for a fault outside
        // a stack guard page, restores the default disposition and returns. The second
        // raise then kills the process as a segfault, as in any other host.
        for _ in 0..2 {
            // SAFETY: raise(3) only sends a signal to the calling thread; it touches no
            // memory of ours. With the default disposition the process dies here.
            unsafe { libc::raise(libc::SIGSEGV) };
        }
    }
    std::process::abort()
}

/// The crash plugin.
pub struct Crash {
    trigger: AtomicF32,
    mode: AtomicF32,
    armed: AtomicBool,
}

impl Plugin for Crash {
    fn info() -> PluginInfo {
        INFO
    }

    fn new(_host: Host) -> Self {
        if std::env::var(AT_VAR).is_ok_and(|at| at.trim() == "entry") {
            crash(How::from_env_text(std::env::var(HOW_VAR).ok().as_deref()));
        }
        Self {
            trigger: AtomicF32::new(0.0),
            mode: AtomicF32::new(0.0),
            armed: AtomicBool::new(false),
        }
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        match d.call {
            DispatchCall::Open if std::env::var(AT_VAR).is_ok_and(|at| at.trim() == "open") => {
                crash(How::from_env_text(std::env::var(HOW_VAR).ok().as_deref()))
            }
            DispatchCall::VendorSpecific(call) if call.index == FAIL_INDEX => crash(How::from_value(call.value)),
            DispatchCall::VendorSpecific(call) if call.index == THREAD_INDEX => {
                let how = How::from_value(call.value);
                let spawned = thread::Builder::new().name("vstbridge-crash".into()).spawn(move || {
                    thread::sleep(Duration::from_millis(50));
                    crash(how)
                });
                isize::from(spawned.is_ok())
            }
            DispatchCall::GetParamName(index, out) => {
                write_c_string(
                    out,
                    ["Trigger", "Mode"].get(index as usize).copied().unwrap_or_default(),
                );
                0
            }
            DispatchCall::GetParamDisplay(0, out) => {
                write_c_string(
                    out,
                    if self.armed.load(Ordering::SeqCst) {
                        "armed"
                    } else {
                        "off"
                    },
                );
                0
            }
            DispatchCall::GetParamDisplay(1, out) => {
                write_c_string(
                    out,
                    if How::from_mode(self.mode.load()) == How::Abort {
                        "abort"
                    } else {
                        "segv"
                    },
                );
                0
            }
            other => default_dispatch(&INFO, other),
        }
    }

    fn process_begin(&self, _which: ProcessFn, _frames: i32) {
        if self.armed.load(Ordering::SeqCst) {
            crash(How::from_mode(self.mode.load()));
        }
    }

    fn process_f32(&self, inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        pass_through(inputs, outputs);
    }

    fn process_f64(&self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) {
        pass_through(inputs, outputs);
    }

    fn set_parameter(&self, index: i32, value: f32) {
        match index {
            0 => {
                self.trigger.store(value);
                self.armed.store(value >= 0.5, Ordering::SeqCst);
            }
            1 => self.mode.store(value),
            _ => {}
        }
    }

    fn get_parameter(&self, index: i32) -> f32 {
        match index {
            0 => self.trigger.load(),
            1 => self.mode.load(),
            _ => 0.0,
        }
    }
}

export_plugin!(Crash);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_mapping() {
        assert_eq!(How::from_value(0), How::Segv);
        assert_eq!(How::from_value(1), How::Abort);
        assert_eq!(How::from_value(7), How::Segv);
        assert_eq!(How::from_mode(0.49), How::Segv);
        assert_eq!(How::from_mode(0.5), How::Abort);
        assert_eq!(How::from_env_text(None), How::Segv);
        assert_eq!(How::from_env_text(Some("abort")), How::Abort);
        assert_eq!(How::from_env_text(Some("segv")), How::Segv);
    }

    #[test]
    fn passes_audio_through_until_triggered() {
        let mut h = test_plugin_kit::harness::Harness::new::<Crash>().unwrap();
        let (mut l, mut r) = ([0.0f32; 4], [0.0f32; 4]);
        h.process_f32(&[&[1.0; 4], &[2.0; 4]], &mut [&mut l, &mut r], false);
        assert_eq!((l, r), ([1.0; 4], [2.0; 4]));
        h.set_parameter(0, 0.7);
        h.set_parameter(0, 0.2);
        h.process_f32(&[&[1.0; 4], &[2.0; 4]], &mut [&mut l, &mut r], false);
        assert_eq!(h.get_parameter(0), 0.2, "disarmed again, still alive");
    }
}
