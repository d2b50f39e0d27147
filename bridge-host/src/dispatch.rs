//! The DAW's dispatcher calls, carried to the server: the proxy half of the payload table.
//! Inputs are read from `ptr`/`value` as the opcode's shape says; outputs are written back
//! with every string clamped to the opcode's real-world size and NUL-terminated, and every
//! pointer we hand out (chunk, rect, arrangements) owned by the instance until the next call
//! of the same kind.

use std::ffi::c_void;

use bridge_proto::{DispatchCall, DispatchPayload, DispatchShape, ReplyPayload, Request, Response, dispatch_shape};
use vst2_abi::{EffectOpcode, VstEvents, VstSpeakerArrangement};
use vst2_host::EventsView;
use vst2_host::callback::read_bounded_c_str;
use vst2_host::speakers::arrangement_bytes;

use vstbridge_replies::write_reply_into;

use crate::instance::{ProxyInstance, lock};

/// The longest in-string read from the DAW.
const MAX_IN_STRING: usize = 4096;
/// The largest chunk the proxy sends (a DAW passing more is refused with 0).
const MAX_CHUNK: usize = vstbridge_replies::MAX_CHUNK;

impl ProxyInstance {
    /// Forwards one dispatcher call and returns its result. While the plugin is dead, or
    /// when the call fails, the answer is what the plugin last said to the same query (or
    /// 0), given at once.
    ///
    /// # Safety
    /// `ptr` and `value` must be what the opcode carries, valid for the call.
    pub unsafe fn dispatch(&self, opcode: EffectOpcode, index: i32, value: isize, ptr: *mut c_void, opt: f32) -> isize {
        let shape = dispatch_shape(opcode);
        // SAFETY: forwarded contract.
        let Some(payload) = (unsafe { read_payload(shape, value, ptr) }) else {
            return 0;
        };
        if shape == DispatchShape::Unknown && !self.is_dead() {
            tracing::info!(%opcode, index, value, "forwarding an opcode outside the payload table with integer arguments only");
        }
        tracing::trace!(%opcode, index, value, opt, "dispatch");
        let call = DispatchCall {
            opcode: opcode.0,
            index,
            value: value as i64,
            opt,
            payload,
            pending: self.pending_for_call(),
            snapshot: opcode != EffectOpcode::CLOSE && !self.is_dead() && self.snapshot_due_on_this_thread(),
        };
        // What the DAW asks for is recorded even if the plugin dies of it or is dead already:
        // a restart replays the DAW's intent (and the restart limit ends a crash loop).
        let Some(Response::Dispatched(reply)) = self.forward(Request::Dispatch(call), self.timeout_for(opcode)) else {
            // SAFETY: forwarded contract.
            return unsafe { self.answer_while_dead(opcode, shape, index, value, ptr) };
        };
        self.apply_effect_info(&reply.effect);
        tracing::trace!(%opcode, result = reply.result, "dispatched");
        if let (EffectOpcode::EDIT_OPEN, ReplyPayload::EditorWindow(foreign)) = (opcode, &reply.payload) {
            self.embed_server_window(*foreign);
        }
        // SAFETY: forwarded contract.
        unsafe { self.write_reply(shape, value, ptr, reply.result as isize, reply.payload) }
    }

    /// Answers without the plugin: the last chunk for `effGetChunk`, the last answer to the
    /// same query otherwise, else 0.
    ///
    /// # Safety
    /// As [`ProxyInstance::dispatch`].
    unsafe fn answer_while_dead(
        &self,
        opcode: EffectOpcode,
        shape: DispatchShape,
        index: i32,
        value: isize,
        ptr: *mut c_void,
    ) -> isize {
        if shape == DispatchShape::ChunkOut {
            let chunk = lock(&self.recorder).state.chunk.clone();
            return match chunk {
                // SAFETY: forwarded contract.
                Some((_, chunk)) => unsafe {
                    self.write_reply(shape, value, ptr, chunk.len() as isize, ReplyPayload::Chunk(chunk))
                },
                None => 0,
            };
        }
        let Some(cached) = lock(&self.recorder).answers.get(opcode, index).cloned() else {
            return 0;
        };
        let payload = match (shape, cached.bytes) {
            (DispatchShape::StringOut { .. }, Some(text)) => ReplyPayload::Text(text),
            (DispatchShape::StructOut { .. } | DispatchShape::StructInOut { .. }, Some(bytes)) => {
                ReplyPayload::Struct(bytes)
            }
            _ => ReplyPayload::None,
        };
        // SAFETY: forwarded contract.
        unsafe { self.write_reply(shape, value, ptr, cached.result, payload) }
    }

    /// Writes what the plugin returned through `ptr` (and `value`) into the DAW's memory.
    ///
    /// # Safety
    /// As [`ProxyInstance::dispatch`].
    unsafe fn write_reply(
        &self,
        shape: DispatchShape,
        value: isize,
        ptr: *mut c_void,
        result: isize,
        payload: ReplyPayload,
    ) -> isize {
        // SAFETY: forwarded contract.
        unsafe { write_reply_into(&mut lock(&self.returned), shape, value, ptr, result, payload) }
    }
}

/// Reads a dispatcher call's input payload. `None` refuses the call (a chunk too large).
///
/// # Safety
/// `ptr` and `value` must be what the opcode's shape says, valid for the call.
pub unsafe fn read_payload(shape: DispatchShape, value: isize, ptr: *mut c_void) -> Option<DispatchPayload> {
    Some(match shape {
        DispatchShape::StringIn => {
            // SAFETY: an in-string (or NULL) per the shape.
            let text = unsafe { read_bounded_c_str(ptr.cast(), MAX_IN_STRING) }.unwrap_or_default();
            DispatchPayload::Text(text.to_vec())
        }
        DispatchShape::ChunkIn => {
            let length = value.max(0) as usize;
            if length > MAX_CHUNK {
                tracing::error!(length, "refusing a chunk larger than {MAX_CHUNK} bytes");
                return None;
            }
            let data = if ptr.is_null() || length == 0 {
                Vec::new()
            } else {
                // SAFETY: `value` readable bytes at `ptr` per the shape.
                unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), length) }.to_vec()
            };
            DispatchPayload::Chunk(data)
        }
        DispatchShape::EventsIn => {
            // SAFETY: a DAW-owned VstEvents (or NULL) per the shape.
            let view = unsafe { EventsView::new(ptr.cast::<VstEvents>().cast_const()) };
            DispatchPayload::Events(bridge_ipc::wire_events::to_wire(&view))
        }
        DispatchShape::WindowIn => DispatchPayload::Window(ptr as usize as u64),
        DispatchShape::StructInOut { size } | DispatchShape::StructIn { size } if !ptr.is_null() => {
            // SAFETY: a struct of `size` bytes per the shape.
            DispatchPayload::Struct(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), size) }.to_vec())
        }
        DispatchShape::SpeakerArrangementsIn => {
            // SAFETY: the two arrangements (or NULL), the input one in `value`.
            let (input, output) = unsafe {
                (
                    arrangement_bytes(value as *const VstSpeakerArrangement),
                    arrangement_bytes(ptr.cast_const().cast()),
                )
            };
            DispatchPayload::SpeakerArrangements {
                input: input.map(serde_bytes::ByteBuf::from),
                output: output.map(serde_bytes::ByteBuf::from),
            }
        }
        DispatchShape::VendorSpecific => DispatchPayload::Integer(ptr as usize as u64),
        _ => DispatchPayload::None,
    })
}
