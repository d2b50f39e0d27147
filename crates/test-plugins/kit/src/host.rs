//! [`Host`]: the safe handle a plugin uses to call the host (`audioMasterCallback`).
//!
//! It wraps the (possibly NULL) callback and the plugin's `AEffect` pointer. The pointer is
//! NULL while the entry point runs (as in real plugins) and becomes the real `AEffect` when
//! the entry point returns; it goes back to NULL at `effClose`. Every method returns 0 /
//! `None` when the host gave no callback. Nothing here allocates.

use core::ffi::c_void;
use core::ptr;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};

use vst2_abi::events::as_event_ptr;
use vst2_abi::strings::write_c_string;
use vst2_abi::{AEffect, HostCallbackProc, HostOpcode, VstEvent, VstMidiEvent, VstTimeInfo};

/// How many events [`Host::send_midi`] passes per `audioMasterProcessEvents` call; longer
/// lists are sent in several calls.
pub const SEND_BATCH: usize = 256;

/// A `VstEvents` with room for [`SEND_BATCH`] pointers, built on the stack.
#[repr(C)]
struct EventList {
    num_events: i32,
    reserved: isize,
    events: [*mut VstEvent; SEND_BATCH],
}

const _: () = assert!(core::mem::offset_of!(EventList, events) == core::mem::offset_of!(vst2_abi::VstEvents, events));

/// Counts for [`Host::set_counts`]; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// `numInputs`.
    pub num_inputs: Option<i32>,
    /// `numOutputs`.
    pub num_outputs: Option<i32>,
    /// `numParams`.
    pub num_params: Option<i32>,
    /// `numPrograms`.
    pub num_programs: Option<i32>,
    /// `initialDelay`.
    pub initial_delay: Option<i32>,
}

/// A cloneable, thread-safe handle on the host callback.
#[derive(Clone)]
pub struct Host {
    callback: Option<HostCallbackProc>,
    effect: Arc<AtomicPtr<AEffect>>,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("has_callback", &self.callback.is_some())
            .field("effect", &self.effect.load(Ordering::Acquire))
            .finish()
    }
}

impl Host {
    /// A handle on `callback`; `effect` is shared with the kit, which publishes the
    /// `AEffect` pointer in it when the entry point returns.
    pub(crate) fn new(callback: Option<HostCallbackProc>, effect: Arc<AtomicPtr<AEffect>>) -> Self {
        Self { callback, effect }
    }

    /// A handle with no callback: every call answers 0 / `None`. Useful in unit tests.
    pub fn disconnected() -> Self {
        Self::new(None, Arc::new(AtomicPtr::new(ptr::null_mut())))
    }

    /// Whether the host passed a callback at all.
    pub fn is_connected(&self) -> bool {
        self.callback.is_some()
    }

    /// The `AEffect` pointer passed to the host: NULL inside the entry point and after
    /// `effClose`.
    pub fn effect_ptr(&self) -> *mut AEffect {
        self.effect.load(Ordering::Acquire)
    }

    fn call(&self, opcode: HostOpcode, index: i32, value: isize, ptr: *mut c_void, opt: f32) -> isize {
        let Some(callback) = self.callback else {
            return 0;
        };
        // SAFETY: the host gave us this callback in the entry point and promises it stays
        // callable for the life of the instance; every pointer we pass is either NULL or
        // points at memory that stays valid for the duration of the call, as the opcode's
        // contract requires (see the callers).
        unsafe { callback(self.effect_ptr(), opcode.0, index, value, ptr, opt) }
    }

    /// Calls the host with arbitrary arguments.
    ///
    /// # Safety
    /// `ptr` (and `value`, for opcodes that carry a pointer in it) must satisfy the
    /// contract of `opcode` for the duration of the call.
    pub unsafe fn raw(&self, opcode: HostOpcode, index: i32, value: isize, ptr: *mut c_void, opt: f32) -> isize {
        self.call(opcode, index, value, ptr, opt)
    }

    /// A call whose `ptr` is NULL (safe for any opcode whose contract allows NULL).
    fn scalar(&self, opcode: HostOpcode, index: i32, value: isize, opt: f32) -> isize {
        self.call(opcode, index, value, ptr::null_mut(), opt)
    }

    /// Overwrites counts in this instance's `AEffect`, as a plugin whose I/O or parameter
    /// count changes does (and as a hostile one may, with absurd values). The kit's own
    /// buffers keep the counts of [`crate::PluginInfo`]. `None` leaves a field alone.
    pub fn set_counts(&self, counts: Counts) {
        let effect = self.effect_ptr();
        if effect.is_null() {
            return;
        }
        // SAFETY: `effect` is this instance's live AEffect (it is NULL only inside the entry
        // point and after effClose); these are plain integer stores into fields the host
        // reads, as real plugins make when their I/O changes.
        unsafe {
            if let Some(value) = counts.num_inputs {
                (*effect).num_inputs = value;
            }
            if let Some(value) = counts.num_outputs {
                (*effect).num_outputs = value;
            }
            if let Some(value) = counts.num_params {
                (*effect).num_params = value;
            }
            if let Some(value) = counts.num_programs {
                (*effect).num_programs = value;
            }
            if let Some(value) = counts.initial_delay {
                (*effect).initial_delay = value;
            }
        }
    }

    /// `audioMasterVersion`: 2400 from a VST 2.4 host.
    pub fn version(&self) -> isize {
        self.scalar(HostOpcode::VERSION, 0, 0, 0.0)
    }

    /// `audioMasterCurrentId`: the unique ID of the shell sub-plugin being created, or 0.
    pub fn current_id(&self) -> isize {
        self.scalar(HostOpcode::CURRENT_ID, 0, 0, 0.0)
    }

    /// `audioMasterAutomate(index, value)`.
    pub fn automate(&self, index: i32, value: f32) -> isize {
        self.scalar(HostOpcode::AUTOMATE, index, 0, value)
    }

    /// `audioMasterIOChanged`.
    pub fn io_changed(&self) -> isize {
        self.scalar(HostOpcode::IO_CHANGED, 0, 0, 0.0)
    }

    /// `audioMasterUpdateDisplay`.
    pub fn update_display(&self) -> isize {
        self.scalar(HostOpcode::UPDATE_DISPLAY, 0, 0, 0.0)
    }

    /// `audioMasterSizeWindow`: the editor wants to be `width` × `height` pixels.
    pub fn size_window(&self, width: i32, height: i32) -> isize {
        self.scalar(HostOpcode::SIZE_WINDOW, width, height as isize, 0.0)
    }

    /// `audioMasterGetCurrentProcessLevel`.
    pub fn process_level(&self) -> isize {
        self.scalar(HostOpcode::GET_CURRENT_PROCESS_LEVEL, 0, 0, 0.0)
    }

    /// `audioMasterGetTime(mask)`: a copy of the host's `VstTimeInfo`, or `None` when the
    /// host answered NULL.
    pub fn get_time(&self, mask: i32) -> Option<VstTimeInfo> {
        let answer = self.scalar(HostOpcode::GET_TIME, 0, mask as isize, 0.0) as *const VstTimeInfo;
        if answer.is_null() {
            return None;
        }
        // SAFETY: a non-zero answer to audioMasterGetTime is a pointer to a host-owned
        // VstTimeInfo that is valid during the current callback; we copy it at once
        // (unaligned, since 32-bit hosts only guarantee 4-byte alignment).
        Some(unsafe { answer.read_unaligned() })
    }

    /// `audioMasterCanDo(feature)`: 1 yes, 0 don't know / no. `feature` is clamped to 255
    /// bytes.
    pub fn can_do(&self, feature: &str) -> isize {
        let mut text = [0u8; 256];
        write_c_string(&mut text, feature);
        // text is a NUL-terminated string on our stack, valid during the call.
        self.call(HostOpcode::CAN_DO, 0, 0, text.as_mut_ptr().cast(), 0.0)
    }

    /// `audioMasterProcessEvents` with copies of `events`, in batches of [`SEND_BATCH`]
    /// built on the stack (no allocation). Returns the host's answer to the last batch, 0
    /// when `events` is empty (no call is made then).
    pub fn send_midi(&self, events: &[VstMidiEvent]) -> isize {
        let mut answer = 0;
        for batch in events.chunks(SEND_BATCH) {
            let mut copies = [VstMidiEvent::default(); SEND_BATCH];
            copies[..batch.len()].copy_from_slice(batch);
            let mut list = EventList {
                num_events: batch.len() as i32,
                reserved: 0,
                events: [ptr::null_mut(); SEND_BATCH],
            };
            for (slot, event) in list.events.iter_mut().zip(copies.iter_mut()) {
                *slot = as_event_ptr(event);
            }
            // list and copies live on our stack until the call returns, as the opcode's
            // contract requires (the host copies what it keeps).
            answer = self.call(
                HostOpcode::PROCESS_EVENTS,
                0,
                0,
                (&mut list as *mut EventList).cast(),
                0.0,
            );
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disconnected_host_answers_zero() {
        let host = Host::disconnected();
        assert!(!host.is_connected());
        assert_eq!(host.version(), 0);
        assert_eq!(host.get_time(0xFE00), None);
        assert_eq!(host.send_midi(&[VstMidiEvent::new(0, [0x90, 60, 100])]), 0);
        assert_eq!(host.can_do("sendVstEvents"), 0);
        assert!(host.effect_ptr().is_null());
    }
}
