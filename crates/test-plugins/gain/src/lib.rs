//! `test-plugin-gain` ('VbGn'): a stereo gain/pan effect with editable programs, program
//! and bank chunks, soft bypass and a bit-for-bit f64 path of the same math.
//!
//! - 2 in / 2 out; flags CanReplacing | CanDoubleReplacing | ProgramChunks; category Effect;
//!   effect name "Gain", vendor "vstbridge", product "vstbridge test gain", version 1.
//! - Parameter 0 "Gain" (label "dB"): amplitude `2·v`, display `20·log10(2v)` as `{:.2}`,
//!   `-inf` at 0; default 0.5 (0.00 dB). Parameter 1 "Pan" (label "%"): left × `min(1,
//!   2(1−v))`, right × `min(1, 2v)`; display integer percent −100…100 (0 at v = 0.5).
//! - Programs (editable: setParameter changes the current program, effSetProgramName
//!   renames it): 0 "Unity" (0.5, 0.5), 1 "Quiet" (0.25, 0.5), 2 "Left" (0.5, 0.0).
//! - Chunks: index 1 = the current program, index 0 = all programs + the current index; the
//!   format is in [`chunk`]. Malformed chunks (including size 0) return 0 and change nothing;
//!   valid ones return 1.
//! - effString2Parameter: Gain parses dB (`-inf` = 0), Pan parses percent. effCanDo
//!   "bypass" → 1 (others 0); effSetBypass(1) copies inputs to outputs. effGetTailSize → 1,
//!   effSetProcessPrecision → 1, effCanBeAutomated → 1 for both parameters.
//! - Pins: inputs "Gain In L"/"Gain In R" (short "In L"/"In R"), outputs "Gain Out L"/
//!   "Gain Out R" (short "Out L"/"Out R"); pin 0 is IsActive | IsStereo, pin 1 IsActive;
//!   arrangement type 1 (stereo).

pub mod chunk;
pub mod params;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use test_plugin_kit::{AtomicF32, Dispatch, DispatchCall, Host, Plugin, PluginInfo, default_dispatch, export_plugin};
use vst2_abi::constants::{MAX_SHORT_LABEL_LEN, can_do, category};
use vst2_abi::effect::{effect_flags, four_char_code};
use vst2_abi::strings::write_c_string;
use vst2_abi::{VstParameterProperties, VstPinProperties, parameters, pins};

use crate::chunk::{NUM_PROGRAMS, Program};
use crate::params::{GAIN, NUM_PARAMS, PAN, Sample, coefficients};

/// The plugin's static description.
pub const INFO: PluginInfo = PluginInfo {
    unique_id: four_char_code(b"VbGn"),
    version: 1,
    num_params: NUM_PARAMS,
    num_programs: NUM_PROGRAMS as i32,
    inputs: 2,
    outputs: 2,
    flags: effect_flags::CAN_REPLACING | effect_flags::CAN_DOUBLE_REPLACING | effect_flags::PROGRAM_CHUNKS,
    initial_delay: 0,
    name: "Gain",
    vendor: "vstbridge",
    product: "vstbridge test gain",
    category: category::EFFECT,
};

struct Bank {
    programs: Vec<Program>,
    current: usize,
}

/// The gain plugin. The current program's values are mirrored in atomics for the audio
/// thread; the bank is behind a mutex.
pub struct Gain {
    bank: Mutex<Bank>,
    gain: AtomicF32,
    pan: AtomicF32,
    bypass: AtomicBool,
}

impl Gain {
    fn bank(&self) -> MutexGuard<'_, Bank> {
        self.bank.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes the current program's values to the audio thread.
    fn load_current(&self, bank: &Bank) {
        let program = &bank.programs[bank.current];
        self.gain.store(program.gain);
        self.pan.store(program.pan);
    }

    fn set_chunk(&self, program: bool, data: &[u8]) -> isize {
        let mut bank = self.bank();
        if program {
            let Some(decoded) = chunk::decode_program(data) else {
                return 0;
            };
            let current = bank.current;
            bank.programs[current] = decoded;
        } else {
            let Some((programs, current)) = chunk::decode_bank(data) else {
                return 0;
            };
            *bank = Bank { programs, current };
        }
        self.load_current(&bank);
        1
    }

    fn process<T: Sample>(&self, inputs: &[&[T]], outputs: &mut [&mut [T]]) {
        let bypass = self.bypass.load(Ordering::Relaxed);
        let (left, right) = coefficients::<T>(self.gain.load(), self.pan.load());
        for (channel, (input, output)) in inputs.iter().zip(outputs.iter_mut()).enumerate() {
            if bypass {
                output.copy_from_slice(input);
                continue;
            }
            let coefficient = if channel == 0 { left } else { right };
            for (o, &i) in output.iter_mut().zip(input.iter()) {
                *o = i * coefficient;
            }
        }
    }
}

fn pin_properties(props: &mut VstPinProperties, pin: i32, direction: &str, short: &str) -> isize {
    let side = match pin {
        0 => "L",
        1 => "R",
        _ => return 0,
    };
    write_c_string(&mut props.label, &format!("Gain {direction} {side}"));
    write_c_string(&mut props.short_label, &format!("{short} {side}"));
    props.flags = pins::flags::IS_ACTIVE | if pin == 0 { pins::flags::IS_STEREO } else { 0 };
    props.arrangement_type = 1;
    1
}

fn parameter_properties(props: &mut VstParameterProperties, index: i32) -> isize {
    if !(0..NUM_PARAMS).contains(&index) {
        return 0;
    }
    write_c_string(&mut props.label, params::name(index));
    write_c_string(&mut props.short_label[..MAX_SHORT_LABEL_LEN], params::name(index));
    props.flags = parameters::flags::CAN_RAMP;
    if index == PAN {
        props.flags |= parameters::flags::USES_INTEGER_MIN_MAX;
        props.min_integer = -100;
        props.max_integer = 100;
    }
    1
}

impl Plugin for Gain {
    fn info() -> PluginInfo {
        INFO
    }

    fn new(_host: Host) -> Self {
        let bank = Bank {
            programs: chunk::factory_programs(),
            current: 0,
        };
        let gain = Self {
            gain: AtomicF32::new(0.0),
            pan: AtomicF32::new(0.0),
            bypass: AtomicBool::new(false),
            bank: Mutex::new(bank),
        };
        gain.load_current(&gain.bank());
        gain
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        match d.call {
            DispatchCall::SetProgram(program) => {
                let mut bank = self.bank();
                if let Ok(program @ 0..NUM_PROGRAMS) = usize::try_from(program) {
                    bank.current = program;
                    self.load_current(&bank);
                }
                0
            }
            DispatchCall::GetProgram => self.bank().current as isize,
            DispatchCall::SetProgramName(name) => {
                let mut bank = self.bank();
                let current = bank.current;
                bank.programs[current].name = chunk::clamp_name(name).to_owned();
                0
            }
            DispatchCall::GetProgramName(out) => {
                let bank = self.bank();
                write_c_string(out, &bank.programs[bank.current].name);
                0
            }
            DispatchCall::GetProgramNameIndexed(index, out) => {
                match usize::try_from(index)
                    .ok()
                    .and_then(|i| self.bank().programs.get(i).cloned())
                {
                    Some(program) => {
                        write_c_string(out, &program.name);
                        1
                    }
                    None => 0,
                }
            }
            DispatchCall::GetParamName(index, out) => {
                write_c_string(out, params::name(index));
                0
            }
            DispatchCall::GetParamLabel(index, out) => {
                write_c_string(out, params::label(index));
                0
            }
            DispatchCall::GetParamDisplay(index, out) => {
                write_c_string(out, &params::display(index, self.get_parameter(index)));
                0
            }
            DispatchCall::StringToParameter(index, text) => match params::parse(index, text) {
                Some(value) => {
                    self.set_parameter(index, value);
                    1
                }
                None => 0,
            },
            DispatchCall::CanBeAutomated(index) => isize::from((0..NUM_PARAMS).contains(&index)),
            DispatchCall::GetParameterProperties(index, props) => parameter_properties(props, index),
            DispatchCall::GetInputProperties(pin, props) => pin_properties(props, pin, "In", "In"),
            DispatchCall::GetOutputProperties(pin, props) => pin_properties(props, pin, "Out", "Out"),
            DispatchCall::GetChunk { program, out } => {
                let bank = self.bank();
                if program {
                    chunk::encode_program(out, &bank.programs[bank.current]);
                } else {
                    chunk::encode_bank(out, &bank.programs, bank.current);
                }
                out.len() as isize
            }
            DispatchCall::SetChunk { program, data } => self.set_chunk(program, data),
            DispatchCall::SetBypass(bypass) => {
                self.bypass.store(bypass, Ordering::Relaxed);
                1
            }
            DispatchCall::CanDo(feature) => isize::from(feature == can_do::BYPASS),
            DispatchCall::GetTailSize | DispatchCall::SetProcessPrecision(_) => 1,
            other => default_dispatch(&INFO, other),
        }
    }

    fn process_f32(&self, inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        self.process(inputs, outputs);
    }

    fn process_f64(&self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) {
        self.process(inputs, outputs);
    }

    fn set_parameter(&self, index: i32, value: f32) {
        if value.is_nan() {
            return;
        }
        let value = value.clamp(0.0, 1.0);
        let mut bank = self.bank();
        let current = bank.current;
        match index {
            GAIN => bank.programs[current].gain = value,
            PAN => bank.programs[current].pan = value,
            _ => return,
        }
        self.load_current(&bank);
    }

    fn get_parameter(&self, index: i32) -> f32 {
        match index {
            GAIN => self.gain.load(),
            PAN => self.pan.load(),
            _ => 0.0,
        }
    }
}

export_plugin!(Gain);

#[cfg(test)]
mod tests;
