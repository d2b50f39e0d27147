//! Answering the plugin's callbacks by calling the DAW's `audioMaster`, on whichever thread
//! receives them (the thread that made the outer call, or the callback thread), shaped by
//! the audioMaster payload table.

use std::ffi::{CString, c_void};
use std::ptr;

use bridge_proto::payload::LARGEST_INTEGER_PTR;
use bridge_proto::{HostCall, HostPayload, HostReply, HostReplyPayload, HostShape, host_shape};
use vst2_abi::constants::{VST_VERSION_2400, process_level};
use vst2_abi::strings::c_string_bytes;
use vst2_abi::{HostOpcode, VstSpeakerArrangement, VstTimeInfo};
use vst2_host::callback::read_bounded_c_str;
use vst2_host::speakers::arrangement_bytes;

use crate::instance::{ProxyInstance, lock};

/// Set once the first malformed callback has been logged.
static MISMATCH_LOGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The longest string read from a pointer the DAW returns.
const MAX_RETURNED_STRING: usize = 4096;

impl ProxyInstance {
    /// Calls the DAW's callback with our `AEffect` (or NULL when `null_effect`, as during the
    /// plugin's entry point); without a callback (a broken host), answers like a minimal
    /// host.
    ///
    /// # Safety
    /// `ptr` (and `value`, for opcodes that carry a pointer in it) must be what the opcode
    /// carries, valid for the call.
    pub unsafe fn call_daw(
        &self,
        null_effect: bool,
        opcode: HostOpcode,
        index: i32,
        value: isize,
        ptr: *mut c_void,
        opt: f32,
    ) -> isize {
        let effect = if null_effect {
            ptr::null_mut()
        } else {
            self.effect.as_ptr()
        };
        match self.host {
            // SAFETY: the DAW's audioMaster with arguments the caller vouches for.
            Some(host) => unsafe { host(effect, opcode.0, index, value, ptr, opt) },
            None if opcode == HostOpcode::VERSION => VST_VERSION_2400 as isize,
            None => 0,
        }
    }

    /// Whether the DAW says the calling thread renders audio (audioMasterGetCurrentProcessLevel
    /// answers realtime or prefetch; hosts answer it from the thread asking).
    pub fn daw_says_this_thread_renders(&self) -> bool {
        // SAFETY: audioMasterGetCurrentProcessLevel carries no pointer.
        let level = unsafe { self.call_daw(false, HostOpcode::GET_CURRENT_PROCESS_LEVEL, 0, 0, ptr::null_mut(), 0.0) };
        matches!(level, process_level::REALTIME | process_level::PREFETCH)
    }

    /// Answers one forwarded plugin callback.
    pub fn answer_host_call(&self, call: &HostCall) -> HostReply {
        if let Some(info) = &call.effect {
            // Before the DAW hears of the call (IOChanged in particular), our AEffect must
            // already show what the plugin shows.
            self.apply_effect_info(info);
        }
        let opcode = HostOpcode(call.opcode);
        if opcode == HostOpcode::SIZE_WINDOW {
            self.resize_editor_window(call.index, call.value as isize);
        }
        if opcode == HostOpcode::CURRENT_ID && self.is_restoring_thread() {
            // A restarted shell plugin asks which sub-plugin to be: the one the DAW chose.
            let id = lock(&self.recorder).state.current_id.unwrap_or(0);
            return HostReply {
                result: id as i64,
                payload: HostReplyPayload::None,
            };
        }
        let value = call.value as isize;
        // SAFETY: every use below passes the pointer the payload table prescribes for this
        // opcode, in memory that outlives the call.
        let daw = |pointer: *mut c_void| unsafe {
            self.call_daw(call.effect_was_null, opcode, call.index, value, pointer, call.opt)
        };
        tracing::trace!(%opcode, index = call.index, value = call.value, opt = call.opt, "callback");
        let (result, payload) = match (host_shape(opcode), &call.payload) {
            (HostShape::Local(answer), _) => (answer as isize, HostReplyPayload::None),
            (HostShape::StringIn, HostPayload::Text(text)) => {
                let text = CString::new(c_string_bytes(text).to_vec()).unwrap_or_default();
                (daw(text.as_ptr() as *mut c_void), HostReplyPayload::None)
            }
            (HostShape::StringOut { limit }, _) => {
                let mut buffer = vec![0u8; limit.max(256) + 1];
                let result = daw(buffer.as_mut_ptr().cast());
                buffer[limit.max(256)] = 0;
                (result, HostReplyPayload::Text(c_string_bytes(&buffer).to_vec()))
            }
            (HostShape::StringReturned, _) => {
                let returned = daw(ptr::null_mut());
                // SAFETY: the DAW returns a NUL-terminated string it owns, or NULL.
                let text = unsafe { read_bounded_c_str(returned as *const u8, MAX_RETURNED_STRING) };
                // The text travels; the DAW's pointer does not (the server has no use for an
                // address in this process, and should not learn one).
                (
                    0,
                    text.map_or(HostReplyPayload::None, |t| HostReplyPayload::Text(t.to_vec())),
                )
            }
            (HostShape::TimeInfoReturned, _) => {
                let returned = daw(ptr::null_mut()) as *const VstTimeInfo;
                let bytes = (!returned.is_null()).then(|| {
                    // SAFETY: the DAW returns a VstTimeInfo it owns, valid during the call.
                    let bytes = unsafe { std::slice::from_raw_parts(returned.cast::<u8>(), size_of::<VstTimeInfo>()) };
                    serde_bytes::ByteBuf::from(bytes.to_vec())
                });
                (0, HostReplyPayload::TimeInfo(bytes))
            }
            (HostShape::SpeakerArrangementReturned, _) => {
                let returned = daw(ptr::null_mut()) as *const VstSpeakerArrangement;
                // SAFETY: the DAW returns an arrangement it owns, or NULL.
                (
                    0,
                    HostReplyPayload::Struct(unsafe { arrangement_bytes(returned) }.map(serde_bytes::ByteBuf::from)),
                )
            }
            (HostShape::EventsIn, HostPayload::Events(events)) => {
                let mut list = bridge_ipc::wire_events::to_event_list(events);
                (daw(list.as_vst_events().cast()), HostReplyPayload::None)
            }
            (HostShape::StructIn { size }, HostPayload::Struct(bytes)) => {
                let mut buffer = vec![0u64; size.div_ceil(8)];
                let length = bytes.len().min(size);
                // SAFETY: at most the buffer's size is written.
                unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), buffer.as_mut_ptr().cast::<u8>(), length) };
                (daw(buffer.as_mut_ptr().cast()), HostReplyPayload::None)
            }
            (HostShape::VendorSpecific, HostPayload::Integer(small)) if *small <= LARGEST_INTEGER_PTR => {
                (daw(*small as usize as *mut c_void), HostReplyPayload::None)
            }
            (HostShape::StringIn | HostShape::EventsIn | HostShape::StructIn { .. }, _) => {
                // The DAW expects a pointer to data that did not come: it is not called (a
                // NULL where it expects a string crashes real hosts).
                if !MISMATCH_LOGGED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::warn!(%opcode, "the server sent a callback without the data its opcode carries; answering 0 (logged once)");
                }
                (0, HostReplyPayload::None)
            }
            (_, _) => (daw(ptr::null_mut()), HostReplyPayload::None),
        };
        tracing::trace!(%opcode, result, "callback answered");
        HostReply {
            result: result as i64,
            payload,
        }
    }
}
