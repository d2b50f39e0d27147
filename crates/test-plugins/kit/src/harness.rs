//! [`Harness`]: an in-process driver that calls a plugin through its real `AEffect`
//! (entry point, dispatcher, process and parameter trampolines), for unit tests of the
//! plugins and the kit. Not a host library: it loads nothing and answers the host callback
//! from thread-local state (each test runs on its own thread).
//!
//! Host callback answers: Version 2400, CurrentId 0, GetCurrentProcessLevel 2, GetTime a
//! pointer to the thread's [`VstTimeInfo`] set with [`Harness::set_time`] (NULL when unset),
//! ProcessEvents 1 (the MIDI events are recorded), everything else 0. Every callback is
//! recorded as a [`HostCall`].

use core::ffi::c_void;
use core::ptr;
use std::cell::RefCell;

use vst2_abi::events::{as_event_ptr, event_type};
use vst2_abi::{
    AEffect, EffectOpcode, HostOpcode, VstEvent, VstEvents, VstMidiEvent, VstMidiSysexEvent, VstParameterProperties,
    VstPinProperties, VstTimeInfo,
};

use crate::{Plugin, entry};

/// One recorded host callback.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCall {
    /// The opcode.
    pub opcode: HostOpcode,
    /// `index`.
    pub index: i32,
    /// `value`.
    pub value: isize,
    /// `opt`.
    pub opt: f32,
    /// Whether the plugin passed a NULL effect.
    pub effect_null: bool,
    /// For ProcessEvents: the MIDI events sent.
    pub midi: Vec<VstMidiEvent>,
}

thread_local! {
    static CALLS: RefCell<Vec<HostCall>> = const { RefCell::new(Vec::new()) };
    static TIME: RefCell<Option<VstTimeInfo>> = const { RefCell::new(None) };
}

unsafe extern "C" fn host_callback(
    effect: *mut AEffect,
    opcode: i32,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> isize {
    let opcode = HostOpcode(opcode);
    let mut midi = Vec::new();
    if opcode == HostOpcode::PROCESS_EVENTS && !ptr.is_null() {
        let list = ptr.cast::<VstEvents>();
        // SAFETY: the plugin passes a VstEvents with `num_events` valid entries for the call.
        unsafe {
            let first = ptr::addr_of!((*list).events).cast::<*mut VstEvent>();
            for i in 0..(*list).num_events.max(0) as usize {
                let event = first.add(i).read();
                if !event.is_null() && (*event).event_type == event_type::MIDI {
                    midi.push(event.cast::<VstMidiEvent>().read_unaligned());
                }
            }
        }
    }
    let call = HostCall {
        opcode,
        index,
        value,
        opt,
        effect_null: effect.is_null(),
        midi,
    };
    CALLS.with(|calls| calls.borrow_mut().push(call));
    match opcode {
        HostOpcode::VERSION => 2400,
        HostOpcode::GET_CURRENT_PROCESS_LEVEL => 2,
        HostOpcode::PROCESS_EVENTS => 1,
        HostOpcode::GET_TIME => TIME.with(|time| match &*time.borrow() {
            Some(info) => info as *const VstTimeInfo as isize,
            None => 0,
        }),
        _ => 0,
    }
}

/// One plugin instance created in-process; closed (effClose) on drop.
#[derive(Debug)]
pub struct Harness {
    effect: *mut AEffect,
}

impl Harness {
    /// Creates an instance of `P` through the kit's entry point and clears the thread's
    /// recorded callbacks first. `None` if the entry point returned NULL.
    pub fn new<P: Plugin>() -> Option<Self> {
        Self::take_calls();
        let effect = entry::<P>(Some(host_callback));
        (!effect.is_null()).then_some(Self { effect })
    }

    /// Sets the time info GetTime answers on this thread (`None` → NULL).
    pub fn set_time(time: Option<VstTimeInfo>) {
        TIME.with(|slot| *slot.borrow_mut() = time);
    }

    /// Takes the callbacks recorded on this thread so far.
    pub fn take_calls() -> Vec<HostCall> {
        CALLS.with(|calls| std::mem::take(&mut *calls.borrow_mut()))
    }

    /// The `AEffect` as the host sees it.
    pub fn effect(&self) -> &AEffect {
        // SAFETY: the AEffect stays allocated until `drop` sends effClose.
        unsafe { &*self.effect }
    }

    /// Calls the dispatcher with a raw `ptr`.
    ///
    /// # Safety
    /// `ptr` must follow the contract of `opcode`.
    pub unsafe fn dispatch_raw(
        &mut self,
        opcode: EffectOpcode,
        index: i32,
        value: isize,
        ptr: *mut c_void,
        opt: f32,
    ) -> isize {
        let dispatcher = self.effect().dispatcher.expect("dispatcher");
        // SAFETY: our live AEffect; `ptr` per the caller's contract.
        unsafe { dispatcher(self.effect, opcode.0, index, value, ptr, opt) }
    }

    /// Calls the dispatcher with a NULL `ptr`.
    pub fn dispatch(&mut self, opcode: EffectOpcode, index: i32, value: isize, opt: f32) -> isize {
        // SAFETY: NULL is acceptable for every opcode (the kit decodes it as Raw).
        unsafe { self.dispatch_raw(opcode, index, value, ptr::null_mut(), opt) }
    }

    /// An out-string opcode with a 256-byte buffer; returns (answer, text).
    pub fn get_string(&mut self, opcode: EffectOpcode, index: i32) -> (isize, String) {
        let mut buffer = [0u8; 256];
        // SAFETY: a 256-byte writable buffer exceeds every nominal string size.
        let answer = unsafe { self.dispatch_raw(opcode, index, 0, buffer.as_mut_ptr().cast(), 0.0) };
        (answer, vst2_abi::strings::read_c_string(&buffer))
    }

    /// An in-string opcode (effCanDo, effSetProgramName, effString2Parameter).
    pub fn put_string(&mut self, opcode: EffectOpcode, index: i32, text: &str) -> isize {
        let mut buffer = text.as_bytes().to_vec();
        buffer.push(0);
        // SAFETY: a NUL-terminated string valid for the call.
        unsafe { self.dispatch_raw(opcode, index, 0, buffer.as_mut_ptr().cast(), 0.0) }
    }

    /// effGetChunk: a copy of the plugin's chunk (empty when it answered 0).
    pub fn get_chunk(&mut self, program: bool) -> Vec<u8> {
        let mut data: *mut c_void = ptr::null_mut();
        let slot: *mut *mut c_void = &mut data;
        // SAFETY: `slot` is a writable `void*` slot.
        let len = unsafe { self.dispatch_raw(EffectOpcode::GET_CHUNK, program as i32, 0, slot.cast(), 0.0) };
        if len <= 0 || data.is_null() {
            return Vec::new();
        }
        // SAFETY: the plugin published `len` bytes at `data`, alive until the next call.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len as usize) }.to_vec()
    }

    /// effSetChunk with `data` (NULL pointer when empty).
    pub fn set_chunk(&mut self, program: bool, data: &[u8]) -> isize {
        let ptr = if data.is_empty() {
            ptr::null_mut()
        } else {
            data.as_ptr().cast_mut().cast()
        };
        // SAFETY: `data.len()` readable bytes; the plugin only reads them.
        unsafe { self.dispatch_raw(EffectOpcode::SET_CHUNK, program as i32, data.len() as isize, ptr, 0.0) }
    }

    /// effVendorSpecific with `buffer` as `ptr` and its length as `value`.
    pub fn vendor(&mut self, index: i32, buffer: &mut [u8]) -> isize {
        let value = buffer.len() as isize;
        // SAFETY: a writable buffer of `value` bytes, the test plugins' vendor convention.
        unsafe {
            self.dispatch_raw(
                EffectOpcode::VENDOR_SPECIFIC,
                index,
                value,
                buffer.as_mut_ptr().cast(),
                0.0,
            )
        }
    }

    /// effGetInputProperties / effGetOutputProperties.
    pub fn pin_properties(&mut self, input: bool, index: i32) -> (isize, VstPinProperties) {
        let mut props = VstPinProperties::default();
        let opcode = if input {
            EffectOpcode::GET_INPUT_PROPERTIES
        } else {
            EffectOpcode::GET_OUTPUT_PROPERTIES
        };
        // SAFETY: a writable VstPinProperties.
        let answer = unsafe { self.dispatch_raw(opcode, index, 0, (&mut props as *mut VstPinProperties).cast(), 0.0) };
        (answer, props)
    }

    /// effGetParameterProperties.
    pub fn parameter_properties(&mut self, index: i32) -> (isize, VstParameterProperties) {
        let mut props = VstParameterProperties::default();
        let ptr = (&mut props as *mut VstParameterProperties).cast();
        // SAFETY: a writable VstParameterProperties.
        let answer = unsafe { self.dispatch_raw(EffectOpcode::GET_PARAMETER_PROPERTIES, index, 0, ptr, 0.0) };
        (answer, props)
    }

    /// effProcessEvents with MIDI events and SysEx dumps `(delta_frames, bytes)`.
    pub fn process_events(&mut self, midi: &[VstMidiEvent], sysex: &[(i32, &[u8])]) -> isize {
        let mut midi = midi.to_vec();
        let mut dumps: Vec<VstMidiSysexEvent> = sysex
            .iter()
            .map(|(delta, bytes)| VstMidiSysexEvent {
                event_type: event_type::SYSEX,
                byte_size: size_of::<VstMidiSysexEvent>() as i32,
                delta_frames: *delta,
                flags: 0,
                dump_bytes: bytes.len() as i32,
                resvd1: 0,
                sysex_dump: bytes.as_ptr().cast_mut(),
                resvd2: 0,
            })
            .collect();
        let mut ptrs: Vec<*mut VstEvent> = midi.iter_mut().map(|e| as_event_ptr(e)).collect();
        ptrs.extend(dumps.iter_mut().map(|e| as_event_ptr(e)));
        // Header plus N pointers, in isize-aligned storage.
        let words = VstEvents::byte_size(ptrs.len()).div_ceil(size_of::<isize>());
        let mut storage = vec![0isize; words];
        let list = storage.as_mut_ptr().cast::<VstEvents>();
        // SAFETY: `storage` is large and aligned enough for the header plus every pointer.
        unsafe {
            (*list).num_events = ptrs.len() as i32;
            let first = ptr::addr_of_mut!((*list).events).cast::<*mut VstEvent>();
            ptr::copy_nonoverlapping(ptrs.as_ptr(), first, ptrs.len());
            self.dispatch_raw(EffectOpcode::PROCESS_EVENTS, 0, 0, list.cast(), 0.0)
        }
    }

    /// setParameter.
    pub fn set_parameter(&mut self, index: i32, value: f32) {
        let set = self.effect().set_parameter.expect("setParameter");
        // SAFETY: our live AEffect.
        unsafe { set(self.effect, index, value) }
    }

    /// getParameter.
    pub fn get_parameter(&mut self, index: i32) -> f32 {
        let get = self.effect().get_parameter.expect("getParameter");
        // SAFETY: our live AEffect.
        unsafe { get(self.effect, index) }
    }

    /// processReplacing (`accumulate = false`) or process (`true`) over the given channels
    /// (they must match numInputs/numOutputs and have `frames` samples).
    pub fn process_f32(&mut self, inputs: &[&[f32]], outputs: &mut [&mut [f32]], accumulate: bool) {
        let frames = outputs.first().map_or(0, |o| o.len());
        self.check_channels(
            inputs.len(),
            outputs.len(),
            inputs.iter().map(|c| c.len()).chain(outputs.iter().map(|c| c.len())),
            frames,
        );
        let ins: Vec<*const f32> = inputs.iter().map(|c| c.as_ptr()).collect();
        let mut outs: Vec<*mut f32> = outputs.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let effect = self.effect();
        let function = if accumulate {
            effect.process
        } else {
            effect.process_replacing
        };
        // SAFETY: our live AEffect; numInputs/numOutputs channels of `frames` samples each.
        unsafe { function.expect("process")(self.effect, ins.as_ptr(), outs.as_mut_ptr(), frames as i32) }
    }

    /// processDoubleReplacing; `false` when the plugin has none.
    pub fn process_f64(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) -> bool {
        let frames = outputs.first().map_or(0, |o| o.len());
        self.check_channels(
            inputs.len(),
            outputs.len(),
            inputs.iter().map(|c| c.len()).chain(outputs.iter().map(|c| c.len())),
            frames,
        );
        let Some(function) = self.effect().process_double_replacing else {
            return false;
        };
        let ins: Vec<*const f64> = inputs.iter().map(|c| c.as_ptr()).collect();
        let mut outs: Vec<*mut f64> = outputs.iter_mut().map(|c| c.as_mut_ptr()).collect();
        // SAFETY: our live AEffect; numInputs/numOutputs channels of `frames` samples each.
        unsafe { function(self.effect, ins.as_ptr(), outs.as_mut_ptr(), frames as i32) };
        true
    }

    fn check_channels(&self, inputs: usize, outputs: usize, mut lens: impl Iterator<Item = usize>, frames: usize) {
        let effect = self.effect();
        assert_eq!(inputs, effect.num_inputs as usize, "input channel count");
        assert_eq!(outputs, effect.num_outputs as usize, "output channel count");
        assert!(lens.all(|len| len == frames), "channel lengths differ");
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.dispatch(EffectOpcode::CLOSE, 0, 0, 0.0);
    }
}
