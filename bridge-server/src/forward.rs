//! The plugin's view of its host inside the server: every `audioMaster` call is intercepted
//! and forwarded to the proxy, shaped by the audioMaster payload table. Calls made on the
//! audio thread inside process are answered by the audio module from the block's data or
//! travel through the region's callback slot; everything else travels as a `HostCall`
//! request. The slot and the connections carry the same encoding, made here.

use std::cell::{Cell, RefCell};
use std::ffi::{CString, c_void};
use std::sync::Weak;

use bridge_proto::payload::LARGEST_INTEGER_PTR;
use bridge_proto::{HostCall, HostPayload, HostReplyPayload, HostShape, host_shape};
use vst2_abi::constants::VST_VERSION_2400;
use vst2_abi::strings::write_c_string;
use vst2_abi::{HostOpcode, VstTimeInfo};
use vst2_host::callback::read_bounded_c_str;
use vst2_host::{EventsView, Host, RawHostCall};

use crate::audio;
use crate::fields::time_info_from_bytes;
use crate::route::CallbackRoute;

/// The longest in-string read from the plugin.
const MAX_IN_STRING: usize = 4096;

thread_local! {
    /// Answers the host returned by pointer, kept per thread until this thread's next such
    /// call (longer than the ABI promises).
    static TIME_INFO: Cell<VstTimeInfo> = Cell::new(VstTimeInfo::default());
    static RETURNED_STRING: RefCell<CString> = RefCell::new(CString::default());
    static RETURNED_STRUCT: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// The `Host` the real plugin talks to.
pub struct ForwardingHost {
    server: Weak<dyn CallbackRoute + Send + Sync>,
}

impl ForwardingHost {
    /// A host forwarding to `server`'s proxy.
    pub fn new(server: Weak<dyn CallbackRoute + Send + Sync>) -> Self {
        Self { server }
    }
}

impl Host for ForwardingHost {
    fn intercept(&self, call: RawHostCall) -> Option<isize> {
        if let Some(answer) = audio::answer_on_audio_thread(&call) {
            return Some(answer);
        }
        // Inside process, through the region's callback slot (the proxy's audio thread
        // answers); elsewhere over a connection. One encoding either way.
        let through_slot = audio::with_slot_route(|slot| {
            // SAFETY: `call.ptr` is valid for what the opcode carries, during this call.
            unsafe { forward(slot, &call) }
        });
        if let Some(answer) = through_slot {
            return Some(answer);
        }
        let Some(server) = self.server.upgrade() else {
            return Some(fallback(&call));
        };
        // SAFETY: `call.ptr` is valid for what the opcode carries, during this call.
        Some(unsafe { forward(&*server, &call) })
    }
}

/// What a plugin gets when its host cannot be reached: the version, and 0 for the rest.
fn fallback(call: &RawHostCall) -> isize {
    if call.opcode == HostOpcode::VERSION {
        VST_VERSION_2400 as isize
    } else {
        0
    }
}

/// Forwards one call.
///
/// # Safety
/// `call.ptr` must be valid for what `call.opcode` carries.
unsafe fn forward(route: &dyn CallbackRoute, call: &RawHostCall) -> isize {
    let shape = host_shape(call.opcode);
    let ptr = call.ptr as *mut c_void;
    let payload = match shape {
        HostShape::Local(answer) => return answer as isize,
        HostShape::StringIn => {
            // SAFETY: an in-string per the table.
            let text = unsafe { read_bounded_c_str(ptr.cast(), MAX_IN_STRING) }.unwrap_or_default();
            HostPayload::Text(text.to_vec())
        }
        HostShape::EventsIn => {
            // SAFETY: a plugin-owned VstEvents (or NULL) per the table.
            let view = unsafe { EventsView::new(ptr.cast::<vst2_abi::VstEvents>().cast_const()) };
            HostPayload::Events(bridge_ipc::wire_events::to_wire(&view))
        }
        HostShape::StructIn { size } if !ptr.is_null() => {
            // SAFETY: a plugin-owned struct of `size` bytes per the table.
            HostPayload::Struct(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), size) }.to_vec())
        }
        HostShape::VendorSpecific if (call.ptr as u64) <= LARGEST_INTEGER_PTR => HostPayload::Integer(call.ptr as u64),
        HostShape::Unknown => {
            tracing::info!(opcode = %call.opcode, "forwarding a callback outside the payload table with integers only");
            HostPayload::None
        }
        _ => HostPayload::None,
    };
    let request = HostCall {
        opcode: call.opcode.0,
        index: call.index,
        value: call.value as i64,
        opt: call.opt,
        effect_was_null: call.effect_is_null,
        effect: route.effect_info(),
        payload,
    };
    let Some(reply) = route.call_host(request) else {
        return fallback(call);
    };
    let result = reply.result as isize;
    match (shape, reply.payload) {
        (HostShape::StringOut { limit }, HostReplyPayload::Text(text)) if !ptr.is_null() => {
            // SAFETY: the plugin's buffer holds (nominally) `limit` bytes for this opcode.
            let buffer = unsafe { std::slice::from_raw_parts_mut(ptr.cast::<u8>(), limit) };
            write_c_string(buffer, &String::from_utf8_lossy(&text));
            result
        }
        (HostShape::StringReturned, HostReplyPayload::Text(text)) => {
            let text = CString::new(text.into_iter().take_while(|&b| b != 0).collect::<Vec<u8>>()).unwrap_or_default();
            RETURNED_STRING.with(|slot| {
                *slot.borrow_mut() = text;
                slot.borrow().as_ptr() as isize
            })
        }
        (HostShape::TimeInfoReturned, HostReplyPayload::TimeInfo(Some(bytes))) => {
            let info = time_info_from_bytes(&bytes);
            TIME_INFO.with(|slot| {
                slot.set(info);
                slot.as_ptr() as isize
            })
        }
        (HostShape::TimeInfoReturned, _) => 0,
        (HostShape::SpeakerArrangementReturned, HostReplyPayload::Struct(Some(bytes))) => {
            RETURNED_STRUCT.with(|slot| {
                let mut storage = slot.borrow_mut();
                storage.clear();
                storage.resize(bytes.len().div_ceil(8).max(1), 0);
                // SAFETY: the storage holds at least `bytes.len()` bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), storage.as_mut_ptr().cast::<u8>(), bytes.len())
                };
                storage.as_ptr() as isize
            })
        }
        (HostShape::SpeakerArrangementReturned, _) => 0,
        _ => result,
    }
}
