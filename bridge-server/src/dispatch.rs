//! Carrying out a dispatcher call on the real plugin: the server half of the payload table.
//! Each shape turns the wire payload into what the plugin expects behind `ptr` (buffers of
//! at least 256 bytes for strings, aligned struct buffers, pointer slots) and turns what
//! the plugin wrote back into a reply payload.

use std::ffi::c_void;
use std::ptr;

use bridge_proto::payload::LARGEST_INTEGER_PTR;
use bridge_proto::{
    DispatchCall, DispatchPayload, DispatchReply, DispatchShape, ReplyPayload, Snapshot, dispatch_shape,
};
use vst2_abi::constants::REAL_WORLD_STRING_BUFFER;
use vst2_abi::effect::effect_flags;
use vst2_abi::strings::c_string_bytes;
use vst2_abi::{ERect, EffectOpcode, VstSpeakerArrangement};
use vst2_host::Plugin;
use vst2_host::speakers::arrangement_bytes;

use crate::fields::effect_info;

/// String buffers handed to the plugin: far more than any nominal size, because plugins
/// overrun them.
const STRING_BUFFER: usize = 4 * REAL_WORLD_STRING_BUFFER;
/// The largest chunk accepted from a plugin.
const MAX_CHUNK: usize = 200 << 20;

/// Runs `call` on `plugin` and describes the outcome.
pub fn execute(plugin: &Plugin, call: DispatchCall) -> DispatchReply {
    let opcode = EffectOpcode(call.opcode);
    let shape = dispatch_shape(opcode);
    tracing::trace!(%opcode, index = call.index, value = call.value, opt = call.opt, ?shape, "dispatch");
    let (result, payload) = run(plugin, opcode, shape, &call);
    tracing::trace!(%opcode, result, "dispatched");
    DispatchReply {
        result: result as i64,
        payload,
        effect: effect_info(plugin),
        snapshot: call.snapshot.then(|| snapshot(plugin)),
    }
}

/// The most parameter values a snapshot of a plugin without chunks reads.
const MAX_SNAPSHOT_PARAMETERS: i32 = 65_536;

/// The plugin's state, taken right after a call on the same thread (so never alongside
/// effOpen, effClose or another call of that thread): its bank chunk when it saves chunks,
/// else every parameter value.
fn snapshot(plugin: &Plugin) -> Snapshot {
    let info = plugin.info();
    if info.flags & effect_flags::PROGRAM_CHUNKS != 0 {
        let mut data: *mut c_void = ptr::null_mut();
        // SAFETY: effGetChunk's `ptr` is the address of a pointer slot.
        let size = unsafe { plugin.dispatch(EffectOpcode::GET_CHUNK, 0, 0, (&raw mut data).cast(), 0.0) };
        let chunk = if data.is_null() || size <= 0 || size as usize > MAX_CHUNK {
            Vec::new()
        } else {
            // SAFETY: the plugin owns `size` readable bytes at `data` until its next call.
            unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size as usize) }.to_vec()
        };
        return Snapshot::Chunk(chunk);
    }
    Snapshot::Parameters(
        (0..info.num_params.clamp(0, MAX_SNAPSHOT_PARAMETERS))
            .map(|index| plugin.parameter(index))
            .collect(),
    )
}

fn run(plugin: &Plugin, opcode: EffectOpcode, shape: DispatchShape, call: &DispatchCall) -> (isize, ReplyPayload) {
    let index = call.index;
    let value = call.value as isize;
    let opt = call.opt;
    // SAFETY (for every `dispatch` below): each arm passes exactly what the payload table
    // says this opcode's `ptr`/`value` carry, in buffers that outlive the call.
    match (shape, &call.payload) {
        (DispatchShape::StringOut { .. }, _) => {
            let mut buffer = vec![0u8; STRING_BUFFER];
            // SAFETY: see above: a zeroed buffer far larger than any nominal string.
            let result = unsafe { plugin.dispatch(opcode, index, value, buffer.as_mut_ptr().cast(), opt) };
            buffer[STRING_BUFFER - 1] = 0;
            (result, ReplyPayload::Text(c_string_bytes(&buffer).to_vec()))
        }
        (DispatchShape::StringIn, DispatchPayload::Text(text)) => {
            let mut text = c_string_bytes(text).to_vec();
            text.push(0);
            // SAFETY: see above: a NUL-terminated copy.
            (
                unsafe { plugin.dispatch(opcode, index, value, text.as_mut_ptr().cast(), opt) },
                ReplyPayload::None,
            )
        }
        (DispatchShape::ChunkOut, _) => {
            let mut data: *mut c_void = ptr::null_mut();
            // SAFETY: see above: the address of a pointer slot.
            let size = unsafe { plugin.dispatch(opcode, index, value, (&raw mut data).cast(), opt) };
            let chunk = if data.is_null() || size <= 0 || size as usize > MAX_CHUNK {
                Vec::new()
            } else {
                // SAFETY: the plugin owns `size` readable bytes at `data` until its next call.
                unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size as usize) }.to_vec()
            };
            (size, ReplyPayload::Chunk(chunk))
        }
        (DispatchShape::ChunkIn, DispatchPayload::Chunk(data)) => {
            let mut data = data.clone();
            let length = data.len() as isize;
            data.push(0); // a valid address even for an empty chunk
            // SAFETY: see above: `length` readable bytes.
            (
                unsafe { plugin.dispatch(opcode, index, length, data.as_mut_ptr().cast(), opt) },
                ReplyPayload::None,
            )
        }
        (DispatchShape::EventsIn, DispatchPayload::Events(events)) => {
            let mut list = bridge_ipc::wire_events::to_event_list(events);
            (plugin.process_events(&mut list), ReplyPayload::None)
        }
        (DispatchShape::RectOut, _) => {
            let mut rect: *mut ERect = ptr::null_mut();
            // SAFETY: see above: the address of an `ERect*` slot.
            let result = unsafe { plugin.dispatch(opcode, index, value, (&raw mut rect).cast(), opt) };
            let copied = (!rect.is_null()).then(|| {
                // SAFETY: the plugin pointed the slot at its own rect; copied at once.
                let rect = unsafe { rect.read_unaligned() };
                [rect.top, rect.left, rect.bottom, rect.right]
            });
            (result, ReplyPayload::Rect(copied))
        }
        (DispatchShape::WindowIn, DispatchPayload::Window(window)) => {
            // SAFETY: see above: a window id passed as a pointer-sized value.
            (
                unsafe { plugin.dispatch(opcode, index, value, *window as usize as *mut c_void, opt) },
                ReplyPayload::None,
            )
        }
        (DispatchShape::StructOut { size }, _) => {
            let mut buffer = StructBuffer::zeroed(size);
            // SAFETY: see above: a zeroed, 8-aligned buffer of the struct's size.
            let result = unsafe { plugin.dispatch(opcode, index, value, buffer.as_mut_ptr(), opt) };
            (result, ReplyPayload::Struct(buffer.bytes(size).to_vec()))
        }
        (DispatchShape::StructInOut { size }, payload) => {
            let mut buffer = StructBuffer::zeroed(size);
            if let DispatchPayload::Struct(bytes) = payload {
                buffer.fill(bytes);
            }
            // SAFETY: see above.
            let result = unsafe { plugin.dispatch(opcode, index, value, buffer.as_mut_ptr(), opt) };
            (result, ReplyPayload::Struct(buffer.bytes(size).to_vec()))
        }
        (DispatchShape::StructIn { size }, DispatchPayload::Struct(bytes)) => {
            let mut buffer = StructBuffer::zeroed(size);
            buffer.fill(bytes);
            // SAFETY: see above.
            (
                unsafe { plugin.dispatch(opcode, index, value, buffer.as_mut_ptr(), opt) },
                ReplyPayload::None,
            )
        }
        (DispatchShape::SpeakerArrangementsIn, DispatchPayload::SpeakerArrangements { input, output }) => {
            let mut input = input.as_ref().map(|bytes| StructBuffer::arrangement(bytes));
            let mut output = output.as_ref().map(|bytes| StructBuffer::arrangement(bytes));
            let input_ptr = input.as_mut().map_or(ptr::null_mut(), StructBuffer::as_mut_ptr);
            let output_ptr = output.as_mut().map_or(ptr::null_mut(), StructBuffer::as_mut_ptr);
            // SAFETY: see above: both arrangements, the input one as an integer in `value`.
            (
                unsafe { plugin.dispatch(opcode, index, input_ptr as isize, output_ptr, opt) },
                ReplyPayload::None,
            )
        }
        (DispatchShape::SpeakerArrangementsOut, _) => {
            let mut input: *const VstSpeakerArrangement = ptr::null();
            let mut output: *const VstSpeakerArrangement = ptr::null();
            // SAFETY: see above: two pointer slots, one passed in `value`.
            let result =
                unsafe { plugin.dispatch(opcode, index, (&raw mut input) as isize, (&raw mut output).cast(), opt) };
            // SAFETY: the plugin pointed the slots at its own arrangements (or left NULL).
            let (input, output) = unsafe { (arrangement_bytes(input), arrangement_bytes(output)) };
            let (input, output) = (
                input.map(serde_bytes::ByteBuf::from),
                output.map(serde_bytes::ByteBuf::from),
            );
            (result, ReplyPayload::SpeakerArrangements { input, output })
        }
        (DispatchShape::VendorSpecific, payload) => {
            let pointer = match payload {
                DispatchPayload::Integer(small) if *small <= LARGEST_INTEGER_PTR => *small as usize as *mut c_void,
                _ => ptr::null_mut(),
            };
            // SAFETY: see above: an integer-valued `ptr` or NULL.
            (
                unsafe { plugin.dispatch(opcode, index, value, pointer, opt) },
                ReplyPayload::None,
            )
        }
        (DispatchShape::Unknown, _) => {
            tracing::info!(%opcode, index, value, "forwarding an opcode outside the payload table with integer arguments only");
            (plugin.dispatch_int(opcode, index, value, opt), ReplyPayload::None)
        }
        (DispatchShape::Plain, _) => (plugin.dispatch_int(opcode, index, value, opt), ReplyPayload::None),
        (shape, payload) => {
            tracing::warn!(%opcode, ?shape, "payload does not match the opcode's shape: {payload:?}; sending NULL");
            (plugin.dispatch_int(opcode, index, value, opt), ReplyPayload::None)
        }
    }
}

/// An 8-aligned, zero-initialised buffer for a pointer-free struct.
struct StructBuffer(Vec<u64>);

impl StructBuffer {
    fn zeroed(size: usize) -> Self {
        Self(vec![0; size.div_ceil(8).max(1)])
    }

    /// A buffer holding an arrangement's bytes, large enough for its declared form.
    fn arrangement(bytes: &[u8]) -> Self {
        let mut buffer = Self::zeroed(bytes.len().max(size_of::<VstSpeakerArrangement>()));
        buffer.fill(bytes);
        buffer
    }

    fn fill(&mut self, bytes: &[u8]) {
        let length = bytes.len().min(self.0.len() * 8);
        // SAFETY: at most the buffer's length is written.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), self.0.as_mut_ptr().cast::<u8>(), length) };
    }

    fn as_mut_ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }

    fn bytes(&self, size: usize) -> &[u8] {
        // SAFETY: the buffer holds at least `size` initialised bytes.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), size.min(self.0.len() * 8)) }
    }
}
