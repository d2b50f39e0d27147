//! `test-plugin-hang` ('VbHg'): a 2 in / 2 out pass-through effect that hangs forever on
//! request, for testing watchdogs. A hang is `loop { sleep(100 ms) }`: only killing the
//! process ends it. With the environment variable `VSTBRIDGE_TEST_HANG_SPIN=1` a hang is a
//! busy loop instead, which never yields its CPU (what a realtime thread must survive).
//!
//! Flags CanReplacing | CanDoubleReplacing; category Effect; effect name "Hang", vendor
//! "vstbridge", product "vstbridge test hang", version 1; no programs.
//!
//! Triggers:
//! - (a) Entry point: environment variable `VSTBRIDGE_TEST_HANG_AT=entry` makes
//!   `VSTPluginMain`/`main` hang.
//! - (b) Parameter 0 "Trigger": a value >= 0.5 arms the plugin (a lower value disarms it);
//!   the next call of any of the three process functions hangs.
//! - (c) effVendorSpecific index `four_char_code(b"Fail")`: hangs inside that dispatcher
//!   call.

use std::sync::atomic::{AtomicBool, Ordering};
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
    unique_id: four_char_code(b"VbHg"),
    version: 1,
    num_params: 1,
    num_programs: 0,
    inputs: 2,
    outputs: 2,
    flags: effect_flags::CAN_REPLACING | effect_flags::CAN_DOUBLE_REPLACING,
    initial_delay: 0,
    name: "Hang",
    vendor: "vstbridge",
    product: "vstbridge test hang",
    category: category::EFFECT,
};

/// effVendorSpecific index: hang inside the call.
pub const FAIL_INDEX: i32 = four_char_code(b"Fail");
/// Environment variable of the entry-point trigger (value `entry`).
pub const AT_VAR: &str = "VSTBRIDGE_TEST_HANG_AT";

/// Environment variable that makes hangs busy loops (value `1`).
pub const SPIN_VAR: &str = "VSTBRIDGE_TEST_HANG_SPIN";

/// Never returns.
pub fn hang() -> ! {
    if std::env::var(SPIN_VAR).is_ok_and(|spin| spin.trim() == "1") {
        loop {
            std::hint::spin_loop();
        }
    }
    loop {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The hang plugin.
pub struct Hang {
    trigger: AtomicF32,
    armed: AtomicBool,
}

impl Plugin for Hang {
    fn info() -> PluginInfo {
        INFO
    }

    fn new(_host: Host) -> Self {
        if std::env::var(AT_VAR).is_ok_and(|at| at.trim() == "entry") {
            hang();
        }
        Self {
            trigger: AtomicF32::new(0.0),
            armed: AtomicBool::new(false),
        }
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        match d.call {
            DispatchCall::VendorSpecific(call) if call.index == FAIL_INDEX => hang(),
            DispatchCall::GetParamName(0, out) => {
                write_c_string(out, "Trigger");
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
            other => default_dispatch(&INFO, other),
        }
    }

    fn process_begin(&self, _which: ProcessFn, _frames: i32) {
        if self.armed.load(Ordering::SeqCst) {
            hang();
        }
    }

    fn process_f32(&self, inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        pass_through(inputs, outputs);
    }

    fn process_f64(&self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) {
        pass_through(inputs, outputs);
    }

    fn set_parameter(&self, index: i32, value: f32) {
        if index == 0 {
            self.trigger.store(value);
            self.armed.store(value >= 0.5, Ordering::SeqCst);
        }
    }

    fn get_parameter(&self, index: i32) -> f32 {
        if index == 0 { self.trigger.load() } else { 0.0 }
    }
}

export_plugin!(Hang);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_audio_through_until_triggered() {
        let mut h = test_plugin_kit::harness::Harness::new::<Hang>().unwrap();
        let (mut l, mut r) = ([0.0f64; 4], [0.0f64; 4]);
        assert!(h.process_f64(&[&[1.0; 4], &[2.0; 4]], &mut [&mut l, &mut r]));
        assert_eq!((l, r), ([1.0; 4], [2.0; 4]));
        h.set_parameter(0, 0.9);
        assert_eq!(h.get_string(vst2_abi::EffectOpcode::GET_PARAM_DISPLAY, 0).1, "armed");
        h.set_parameter(0, 0.1);
        h.process_f64(&[&[1.0; 4], &[2.0; 4]], &mut [&mut l, &mut r]);
    }
}
