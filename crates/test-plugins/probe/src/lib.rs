//! `test-plugin-probe` ('VbPr'): a pass-through effect that records every call it receives
//! and makes the re-entrant host callbacks real plugins make.
//!
//! - 2 in / 2 out, output = input (all three process functions); flags CanReplacing |
//!   CanDoubleReplacing; category Effect; effect name "Probe", vendor "vstbridge", product
//!   "vstbridge test probe", version 1. Parameters 0 "Alpha" (default 0.5) and 1 "Beta"
//!   (default 0.25), display `{:.3}`; programs 0 "Probe A" and 1 "Probe B" (effSetProgram
//!   only changes the index). effProcessEvents returns 1.
//!
//! Callbacks made (each recorded as a `kind=callback` line):
//!
//! | context           | callbacks, in order                                           |
//! |-------------------|---------------------------------------------------------------|
//! | `entry`           | audioMasterVersion (1), audioMasterCurrentId (2); effect NULL  |
//! | `effOpen`         | audioMasterAutomate (0) index 0, opt = Alpha; IOChanged (13)  |
//! | `effMainsChanged` | (value 1 only) GetTime (7) value 0xFE00; GetCurrentProcessLevel (23) |
//! | `process`         | GetTime (7) value 0xFE00; GetCurrentProcessLevel (23), in every call of any process function, even with frames <= 0 |
//! | `effSetProgram`   | audioMasterUpdateDisplay (42)                                  |
//!
//! effGetChunk of the bank (index 0) returns the log text (no NUL), which is how a test reads
//! the log through a bridge. effSetChunk of a program (index 1) stores any bytes, of any
//! size, and effGetChunk of a program returns them unchanged (chunk round trips).
//!
//! With `VSTBRIDGE_TEST_PROBE_STATE_BYTES=N` in its environment the probe saves its state as
//! a chunk (flag ProgramChunks): effGetChunk of the bank returns N bytes (byte `i` is
//! [`state_byte`]`(i)`) until a bank chunk is set, then the bank last set; the log is then
//! read through PrLg only. This is how a host saves and loads a 64 MiB state through a bridge.
//!
//! Vendor opcodes (effVendorSpecific): index `four_char_code(b"PrLg")`, ptr = buffer,
//! value = capacity: writes the whole log as UTF-8 text plus a NUL and returns the text
//! length (without the NUL); if ptr is NULL or the capacity is below text length + 1 it
//! writes nothing and returns −(text length + 1). Index `four_char_code(b"PrCl")` clears the
//! log (and the dropped count) and returns 1. Index `four_char_code(b"PrIn")` returns how
//! many probe instances live in the calling process.
//!
//! # Log format
//!
//! One record per line, each line ending in `\n`; fields are whitespace-separated
//! `key=value` pairs (no value contains whitespace), the first is `kind=`:
//!
//! ```text
//! kind=call opcode=O index=I value=V opt=F ret=R thread=T
//! kind=set_parameter index=I value=F thread=T
//! kind=get_parameter index=I ret=F thread=T
//! kind=process fn=process|processReplacing|processDoubleReplacing frames=N thread=T
//! kind=callback context=C opcode=O index=I value=V opt=F ret=R thread=T
//! kind=callback context=C opcode=7 index=0 value=65024 opt=0 ret=null thread=T
//! kind=callback context=C opcode=7 index=0 value=65024 opt=0 ret=nonnull sample_pos=F sample_rate=F thread=T
//! kind=dropped count=N            (last line, only if records were dropped)
//! ```
//!
//! Integers are decimal; floats use Rust's `{}` format (`0`, `0.5`, `44100`, `NaN`, `inf`).
//! `call` is the dispatcher (ret = what the probe returned); it is appended when the call
//! returns, so callbacks made inside it come before it. `process` is appended when the call
//! starts, before its callbacks. `thread=` is Rust's `ThreadId` Debug form
//! (`ThreadId(N)`), taken from the probe library's own std: equal values mean the same OS
//! thread, but the numbers are not the host's `ThreadId`s. The log keeps 100 000 records;
//! further ones are only counted (the `dropped` line). The PrLg call that returns the log
//! is itself logged afterwards; after PrCl the log holds just the PrCl call.

pub mod log;

use std::sync::{Mutex, MutexGuard, PoisonError};

use test_plugin_kit::{
    AtomicF32, Dispatch, DispatchCall, Host, Plugin, PluginInfo, ProcessFn, default_dispatch, export_plugin,
    pass_through,
};
use vst2_abi::constants::category;
use vst2_abi::effect::{effect_flags, four_char_code};
use vst2_abi::strings::write_c_string;
use vst2_abi::{HostOpcode, VstTimeInfo};

use crate::log::{Answer, Context, Log, Record, current_thread};

/// The plugin's static description.
pub const INFO: PluginInfo = PluginInfo {
    unique_id: four_char_code(b"VbPr"),
    version: 1,
    num_params: 2,
    num_programs: 2,
    inputs: 2,
    outputs: 2,
    flags: effect_flags::CAN_REPLACING | effect_flags::CAN_DOUBLE_REPLACING,
    initial_delay: 0,
    name: "Probe",
    vendor: "vstbridge",
    product: "vstbridge test probe",
    category: category::EFFECT,
};

/// effVendorSpecific index that returns the log.
pub const LOG_INDEX: i32 = four_char_code(b"PrLg");
/// effVendorSpecific index that clears the log.
pub const CLEAR_INDEX: i32 = four_char_code(b"PrCl");
/// effVendorSpecific index that returns how many probe instances live in this process
/// (instances of one plugin group share a process, and see each other so).
pub const INSTANCES_INDEX: i32 = four_char_code(b"PrIn");

/// The probe instances alive in this process.
static INSTANCES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// The GetTime mask the probe asks for.
pub const TIME_MASK: i32 = 0xFE00;
/// The environment variable that makes the probe save a state of that many bytes.
pub const STATE_BYTES_VARIABLE: &str = "VSTBRIDGE_TEST_PROBE_STATE_BYTES";
const PARAM_NAMES: [&str; 2] = ["Alpha", "Beta"];
const PROGRAM_NAMES: [&str; 2] = ["Probe A", "Probe B"];

/// The probe plugin.
pub struct Probe {
    host: Host,
    /// The last program chunk set, returned as is.
    stored_chunk: Mutex<Vec<u8>>,
    /// In state mode (see the crate docs), the bank state: `None` until first read or set.
    bank_state: Option<Mutex<Option<Vec<u8>>>>,
    log: Mutex<Log>,
    params: [AtomicF32; 2],
    program: Mutex<usize>,
}

impl Probe {
    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, record: Record) {
        self.log().push(record);
    }

    /// Makes a scalar callback and records it. The log is not locked during the call.
    fn callback(&self, context: Context, opcode: HostOpcode, index: i32, opt: f32) -> isize {
        let ret = match opcode {
            HostOpcode::AUTOMATE => self.host.automate(index, opt),
            HostOpcode::VERSION => self.host.version(),
            HostOpcode::CURRENT_ID => self.host.current_id(),
            HostOpcode::IO_CHANGED => self.host.io_changed(),
            HostOpcode::UPDATE_DISPLAY => self.host.update_display(),
            HostOpcode::GET_CURRENT_PROCESS_LEVEL => self.host.process_level(),
            _ => 0,
        };
        let thread = current_thread();
        let answer = Answer::Value(ret);
        self.push(Record::Callback {
            context,
            opcode: opcode.0,
            index,
            value: 0,
            opt,
            answer,
            thread,
        });
        ret
    }

    fn time_callback(&self, context: Context) -> Option<VstTimeInfo> {
        let time = self.host.get_time(TIME_MASK);
        let answer = Answer::Time(time.map(|t| (t.sample_pos, t.sample_rate)));
        let (opcode, value, thread) = (HostOpcode::GET_TIME.0, TIME_MASK as isize, current_thread());
        self.push(Record::Callback {
            context,
            opcode,
            index: 0,
            value,
            opt: 0.0,
            answer,
            thread,
        });
        time
    }

    fn write_log(&self, buffer: Option<&mut [u8]>) -> isize {
        let text = self.log().text();
        let required = text.len() + 1;
        match buffer {
            Some(buffer) if buffer.len() >= required => write_c_string(buffer, &text) as isize,
            _ => -(required as isize),
        }
    }

    fn handle(&self, d: Dispatch<'_>) -> isize {
        match d.call {
            DispatchCall::Open => {
                self.callback(Context::Open, HostOpcode::AUTOMATE, 0, self.params[0].load());
                self.callback(Context::Open, HostOpcode::IO_CHANGED, 0, 0.0);
                0
            }
            DispatchCall::MainsChanged(true) => {
                self.time_callback(Context::MainsChanged);
                self.callback(Context::MainsChanged, HostOpcode::GET_CURRENT_PROCESS_LEVEL, 0, 0.0);
                0
            }
            DispatchCall::SetProgram(program) => {
                if let Ok(program @ 0..2) = usize::try_from(program) {
                    *self.program.lock().unwrap_or_else(PoisonError::into_inner) = program;
                }
                self.callback(Context::SetProgram, HostOpcode::UPDATE_DISPLAY, 0, 0.0);
                0
            }
            DispatchCall::GetChunk { program: false, out } if self.bank_state.is_some() => {
                let mut state = self.bank_state().lock().unwrap_or_else(PoisonError::into_inner);
                let bytes = state.get_or_insert_with(|| (0..state_bytes().unwrap_or(0)).map(state_byte).collect());
                out.extend_from_slice(bytes);
                1
            }
            DispatchCall::SetChunk { program: false, data } if self.bank_state.is_some() => {
                *self.bank_state().lock().unwrap_or_else(PoisonError::into_inner) = Some(data.to_vec());
                1
            }
            DispatchCall::GetChunk { program: false, out } => {
                // The log as a chunk: chunks cross a bridge intact, host buffers behind a
                // vendor opcode's pointer do not.
                out.extend_from_slice(self.log().text().as_bytes());
                1
            }
            DispatchCall::GetChunk { program: true, out } => {
                out.extend_from_slice(&self.stored_chunk.lock().unwrap_or_else(PoisonError::into_inner));
                1
            }
            DispatchCall::SetChunk { program: true, data } => {
                *self.stored_chunk.lock().unwrap_or_else(PoisonError::into_inner) = data.to_vec();
                1
            }
            DispatchCall::GetProgram => *self.program.lock().unwrap_or_else(PoisonError::into_inner) as isize,
            DispatchCall::GetProgramName(out) => {
                write_c_string(
                    out,
                    PROGRAM_NAMES[*self.program.lock().unwrap_or_else(PoisonError::into_inner)],
                );
                0
            }
            DispatchCall::GetProgramNameIndexed(index, out) => match PROGRAM_NAMES.get(index as usize) {
                Some(name) => {
                    write_c_string(out, name);
                    1
                }
                None => 0,
            },
            DispatchCall::GetParamName(index, out) => {
                write_c_string(out, PARAM_NAMES.get(index as usize).copied().unwrap_or_default());
                0
            }
            DispatchCall::GetParamDisplay(index, out) => {
                write_c_string(out, &format!("{:.3}", self.get_parameter_value(index)));
                0
            }
            DispatchCall::CanBeAutomated(index) => isize::from((0..2).contains(&index)),
            DispatchCall::ProcessEvents(_) => 1,
            DispatchCall::VendorSpecific(mut call) if call.index == LOG_INDEX => self.write_log(call.buffer()),
            DispatchCall::VendorSpecific(call) if call.index == CLEAR_INDEX => {
                self.log().clear();
                1
            }
            DispatchCall::VendorSpecific(call) if call.index == INSTANCES_INDEX => {
                INSTANCES.load(std::sync::atomic::Ordering::SeqCst) as isize
            }
            other => default_dispatch(&INFO, other),
        }
    }

    fn bank_state(&self) -> &Mutex<Option<Vec<u8>>> {
        self.bank_state.as_ref().expect("called in state mode only")
    }

    fn get_parameter_value(&self, index: i32) -> f32 {
        self.params.get(index as usize).map_or(0.0, AtomicF32::load)
    }
}

/// The size of the state in state mode, from [`STATE_BYTES_VARIABLE`].
fn state_bytes() -> Option<usize> {
    std::env::var(STATE_BYTES_VARIABLE).ok()?.parse().ok()
}

/// Byte `index` of the state the probe saves before one is set: a pattern with no short
/// period, so a misplaced or repeated piece shows.
pub fn state_byte(index: usize) -> u8 {
    (index.wrapping_mul(2_654_435_761) >> 13) as u8
}

impl Drop for Probe {
    fn drop(&mut self) {
        INSTANCES.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Plugin for Probe {
    fn info() -> PluginInfo {
        match state_bytes() {
            Some(_) => PluginInfo {
                flags: INFO.flags | effect_flags::PROGRAM_CHUNKS,
                ..INFO
            },
            None => INFO,
        }
    }

    fn new(host: Host) -> Self {
        let probe = Self {
            host,
            stored_chunk: Mutex::new(Vec::new()),
            bank_state: state_bytes().map(|_| Mutex::new(None)),
            log: Mutex::new(Log::default()),
            params: [AtomicF32::new(0.5), AtomicF32::new(0.25)],
            program: Mutex::new(0),
        };
        INSTANCES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        probe.callback(Context::Entry, HostOpcode::VERSION, 0, 0.0);
        probe.callback(Context::Entry, HostOpcode::CURRENT_ID, 0, 0.0);
        probe
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        let (opcode, index, value, opt) = (d.opcode.0, d.index, d.value, d.opt);
        let ret = self.handle(d);
        self.push(Record::Call {
            opcode,
            index,
            value,
            opt,
            ret,
            thread: current_thread(),
        });
        ret
    }

    fn process_begin(&self, function: ProcessFn, frames: i32) {
        self.push(Record::Process {
            function,
            frames,
            thread: current_thread(),
        });
        self.time_callback(Context::Process);
        self.callback(Context::Process, HostOpcode::GET_CURRENT_PROCESS_LEVEL, 0, 0.0);
    }

    fn process_f32(&self, inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        pass_through(inputs, outputs);
    }

    fn process_f64(&self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) {
        pass_through(inputs, outputs);
    }

    fn set_parameter(&self, index: i32, value: f32) {
        if let Some(param) = self.params.get(index as usize) {
            param.store(value);
        }
        self.push(Record::SetParameter {
            index,
            value,
            thread: current_thread(),
        });
    }

    fn get_parameter(&self, index: i32) -> f32 {
        let ret = self.get_parameter_value(index);
        self.push(Record::GetParameter {
            index,
            ret,
            thread: current_thread(),
        });
        ret
    }
}

export_plugin!(Probe);

#[cfg(test)]
mod tests;
