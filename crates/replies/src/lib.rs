//! Writing the server's dispatcher replies into the DAW's memory, by the payload table: the
//! one place the proxy writes through pointers the DAW passed for a reply. Every string is
//! clamped to the opcode's real-world size and NUL-terminated, every struct to its size,
//! chunks to [`MAX_CHUNK`], speaker arrangements to the channels actually copied; a reply of
//! the wrong shape leaves the DAW's out-slots meaning "nothing" and returns 0. What the DAW
//! is handed a pointer to lives in [`ReturnedData`], owned by the instance. Its own crate so
//! the fuzzer can feed it arbitrary replies without linking the proxy's entry points.

use std::ffi::c_void;
use std::ptr;

use bridge_proto::limits::MAX_CHANNELS;
use bridge_proto::{DispatchShape, ReplyPayload};
use vst2_abi::{ERect, VstSpeakerArrangement};

/// The largest chunk that crosses the bridge either way.
pub const MAX_CHUNK: usize = 200 << 20;
/// Bytes of a `VstSpeakerArrangement` before its speakers, and of one speaker.
const ARRANGEMENT_HEADER: usize = 8;
const SPEAKER_BYTES: usize = size_of::<vst2_abi::VstSpeakerProperties>();

/// Storage for data the DAW reads through pointers we return, valid until the next call of
/// the same kind.
#[derive(Default)]
pub struct ReturnedData {
    /// The chunk handed out by `effGetChunk`.
    pub chunk: Vec<u8>,
    /// The editor rect handed out by `effEditGetRect`.
    pub rect: Box<ERect>,
    /// The speaker arrangements handed out by `effGetSpeakerArrangement`.
    pub arrangements: (Vec<u64>, Vec<u64>),
}

/// Writes a reply the server sent for a dispatcher call of `shape` into the DAW's memory
/// behind `ptr` (and `value`), keeping what the DAW is handed a pointer to in `returned`;
/// returns what the dispatcher returns. Every size is clamped to the opcode's, and a reply
/// of the wrong shape writes "nothing" into the out-slots and returns 0.
///
/// # Safety
/// `ptr` and `value` must be what the shape says, valid for the call: a string buffer of at
/// least the shape's limit, a struct of its size, pointer slots.
pub unsafe fn write_reply_into(
    returned: &mut ReturnedData,
    shape: DispatchShape,
    value: isize,
    ptr: *mut c_void,
    result: isize,
    payload: ReplyPayload,
) -> isize {
    {
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
