//! The DAW's dispatcher calls, carried to the server: the proxy half of the payload table.
//! Inputs are read from `ptr`/`value` as the opcode's shape says; outputs are written back
//! with every string clamped to the opcode's real-world size and NUL-terminated, and every
//! pointer we hand out (chunk, rect, arrangements) owned by the instance until the next call
//! of the same kind.

use std::ffi::c_void;
use std::ptr;

use bridge_proto::{DispatchCall, DispatchPayload, DispatchShape, ReplyPayload, Request, Response, dispatch_shape};
use vst2_abi::{ERect, EffectOpcode, VstEvents, VstSpeakerArrangement};
use vst2_host::EventsView;
use vst2_host::callback::read_bounded_c_str;
use vst2_host::speakers::arrangement_bytes;

use bridge_proto::limits::MAX_CHANNELS;

use crate::instance::{ProxyInstance, lock};

/// Bytes of a `VstSpeakerArrangement` before its speakers, and of one speaker.
const ARRANGEMENT_HEADER: usize = 8;
const SPEAKER_BYTES: usize = size_of::<vst2_abi::VstSpeakerProperties>();

/// The longest in-string read from the DAW.
const MAX_IN_STRING: usize = 4096;
/// The largest chunk the proxy sends (a DAW passing more is refused with 0).
const MAX_CHUNK: usize = 200 << 20;

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
        match (shape, payload) {
            (DispatchShape::StringOut { limit }, ReplyPayload::Text(text)) if !ptr.is_null() => {
                let length = text.len().min(limit - 1);
                // SAFETY: the DAW's buffer holds at least `limit` bytes for this opcode (the
                // real-world size hosts provide); we write `length + 1 <= limit`.
                unsafe {
                    ptr::copy_nonoverlapping(text.as_ptr(), ptr.cast::<u8>(), length);
                    ptr.cast::<u8>().add(length).write(0);
                }
                result
            }
            (DispatchShape::ChunkOut, ReplyPayload::Chunk(chunk)) if !ptr.is_null() && chunk.len() <= MAX_CHUNK => {
                let mut returned = lock(&self.returned);
                returned.chunk = chunk;
                let (data, size) = if returned.chunk.is_empty() {
                    (ptr::null_mut(), 0)
                } else {
                    (returned.chunk.as_mut_ptr(), returned.chunk.len() as isize)
                };
                // SAFETY: `ptr` is the DAW's `void**` slot.
                unsafe { ptr.cast::<*mut u8>().write(data) };
                size
            }
            (DispatchShape::RectOut, ReplyPayload::Rect(rect)) if !ptr.is_null() => {
                let mut returned = lock(&self.returned);
                let pointer = match rect {
                    Some([top, left, bottom, right]) => {
                        *returned.rect = ERect {
                            top,
                            left,
                            bottom,
                            right,
                        };
                        &raw mut *returned.rect
                    }
                    None => ptr::null_mut(),
                };
                // SAFETY: `ptr` is the DAW's `ERect**` slot; the rect lives in the instance.
                unsafe { ptr.cast::<*mut ERect>().write(pointer) };
                result
            }
            (DispatchShape::StructOut { size } | DispatchShape::StructInOut { size }, ReplyPayload::Struct(bytes))
                if !ptr.is_null() =>
            {
                // SAFETY: the DAW's struct is `size` bytes for this opcode.
                unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.cast::<u8>(), bytes.len().min(size)) };
                result
            }
            (DispatchShape::SpeakerArrangementsOut, ReplyPayload::SpeakerArrangements { input, output }) => {
                let mut returned = lock(&self.returned);
                let store =
                    |storage: &mut Vec<u64>, bytes: Option<serde_bytes::ByteBuf>| -> *mut VstSpeakerArrangement {
                        match bytes {
                            Some(bytes) => {
                                // At most the capped channel count's worth, and a channel count
                                // that claims no more speakers than were copied: the DAW reads
                                // `numChannels` entries.
                                let length = bytes
                                    .len()
                                    .min(ARRANGEMENT_HEADER + SPEAKER_BYTES * MAX_CHANNELS as usize);
                                storage.clear();
                                storage.resize(length.max(size_of::<VstSpeakerArrangement>()).div_ceil(8), 0);
                                // SAFETY: the storage holds at least `length` bytes.
                                unsafe {
                                    ptr::copy_nonoverlapping(bytes.as_ptr(), storage.as_mut_ptr().cast::<u8>(), length)
                                };
                                let copied = (length.saturating_sub(ARRANGEMENT_HEADER) / SPEAKER_BYTES) as i32;
                                let arrangement = storage.as_mut_ptr().cast::<VstSpeakerArrangement>();
                                // SAFETY: the storage holds a whole `VstSpeakerArrangement` header.
                                unsafe { (*arrangement).num_channels = (*arrangement).num_channels.clamp(0, copied) };
                                arrangement
                            }
                            None => ptr::null_mut(),
                        }
                    };
                let (input_storage, output_storage) = &mut returned.arrangements;
                let input = store(input_storage, input);
                let output = store(output_storage, output);
                // SAFETY: `value` and `ptr` are the DAW's pointer slots (or NULL).
                unsafe {
                    if value != 0 {
                        (value as *mut *mut VstSpeakerArrangement).write(input);
                    }
                    if !ptr.is_null() {
                        ptr.cast::<*mut VstSpeakerArrangement>().write(output);
                    }
                }
                result
            }
            (DispatchShape::Plain | DispatchShape::Unknown | DispatchShape::VendorSpecific, _) => result,
            // Input-only shapes bring nothing back.
            (
                DispatchShape::StringIn
                | DispatchShape::ChunkIn
                | DispatchShape::EventsIn
                | DispatchShape::WindowIn
                | DispatchShape::StructIn { .. }
                | DispatchShape::SpeakerArrangementsIn,
                ReplyPayload::None,
            ) => result,
            (shape, payload) if payload.fits(shape) => {
                // The right kind of answer for a DAW that passed no buffer: nothing to write.
                result
            }
            (shape, payload) => {
                // A reply that does not match its opcode's shape (a hostile or broken server),
                // or a chunk over the limit: the neutral answer, with every out-slot the DAW
                // passed set to "nothing", so it never reads memory we did not fill.
                if !MISMATCH_LOGGED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::warn!(
                        ?shape,
                        "the server answered with {} for this opcode; answering 0 (logged once)",
                        payload.kind()
                    );
                }
                // SAFETY: `ptr` (and `value`) are the DAW's pointers for this opcode's shape.
                unsafe { neutral_out(shape, value, ptr) };
                0
            }
        }
    }
}

/// Set once the first mismatched reply has been logged.
static MISMATCH_LOGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Leaves the DAW's out-slots of `shape` meaning "nothing": an empty string, NULL pointers.
///
/// # Safety
/// `ptr` and `value` must be what the shape says, valid for the call.
unsafe fn neutral_out(shape: DispatchShape, value: isize, ptr: *mut c_void) {
    if ptr.is_null() && value == 0 {
        return;
    }
    // SAFETY: per the shape: a string buffer of at least `limit` bytes, or pointer slots.
    unsafe {
        match shape {
            DispatchShape::StringOut { .. } if !ptr.is_null() => ptr.cast::<u8>().write(0),
            DispatchShape::ChunkOut | DispatchShape::RectOut if !ptr.is_null() => {
                ptr.cast::<*mut c_void>().write(ptr::null_mut())
            }
            DispatchShape::SpeakerArrangementsOut => {
                if value != 0 {
                    (value as *mut *mut c_void).write(ptr::null_mut());
                }
                if !ptr.is_null() {
                    ptr.cast::<*mut c_void>().write(ptr::null_mut());
                }
            }
            _ => {}
        }
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
