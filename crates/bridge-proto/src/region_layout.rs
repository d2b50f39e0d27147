//! The layout of the shared-memory audio region both processes map (the mapping itself is
//! `bridge_ipc::region`). Pure data: structs, offsets and the version the handshake checks.
//!
//! Layout (every offset the same on 32-bit and 64-bit builds; the `const` assertions below
//! are checked by both):
//! ```text
//! 0     RegionHeader   magic, version, size, capacities
//! 64    doorbell to the server (own cache line)
//! 128   doorbell to the proxy  (own cache line)
//! 192   BlockRequest   written by the proxy: frames, kind, level, VstTimeInfo, counts
//! 384   BlockReply     written by the server: state, output-event counts, callback slot
//! ...   parameter-change queue   (index i32, value f32) × max_param_changes   proxy → server
//! ...   parameter values         f32 × max_params                           server → proxy
//! ...   input events             event records (see region_events)          proxy → server
//! ...   output events            event records                              server → proxy
//! ...   input channels           max_inputs  × max_frames × 8 bytes
//! ...   output channels          max_outputs × max_frames × 8 bytes
//! ```
//! Channel buffers hold `f32` or `f64` samples (the block's kind says which), each channel
//! at a fixed stride of `max_frames × 8` bytes.
//!
//! The side that writes a field owns it until it rings the other side's doorbell; the
//! doorbell's release/acquire ordering publishes the writes. Fields are accessed through
//! raw pointers only, never through references that would claim exclusive access to
//! memory another process writes.

/// `VBRG` in little-endian memory.
pub const REGION_MAGIC: u32 = u32::from_le_bytes(*b"VBRG");
/// Bumped on every layout change.
pub const REGION_VERSION: u32 = 6;
/// Bytes of the callback slot: one encoded [`crate::HostCall`] (server → proxy) or
/// [`crate::HostReply`] (back), the same encoding the sockets carry. A callback too large
/// for it travels over the callbacks connection instead.
pub const CALLBACK_BYTES: usize = 8192 - 8;

/// Capacities a region is created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionCapacity {
    /// Frames per block.
    pub max_frames: u32,
    /// Input channels.
    pub max_inputs: u32,
    /// Output channels.
    pub max_outputs: u32,
    /// Parameters mirrored in the value table.
    pub max_params: u32,
    /// Parameter changes queued per block.
    pub max_param_changes: u32,
    /// Bytes of input event records per block.
    pub input_event_bytes: u32,
    /// Bytes of output event records per block.
    pub output_event_bytes: u32,
}

/// The fixed header at offset 0.
#[repr(C)]
pub struct RegionHeader {
    /// [`REGION_MAGIC`].
    pub magic: u32,
    /// [`REGION_VERSION`].
    pub version: u32,
    /// Total bytes of the mapping.
    pub total_bytes: u64,
    /// `max_frames`.
    pub max_frames: u32,
    /// `max_inputs`.
    pub max_inputs: u32,
    /// `max_outputs`.
    pub max_outputs: u32,
    /// `max_params`.
    pub max_params: u32,
    /// `max_param_changes`.
    pub max_param_changes: u32,
    /// `input_event_bytes`.
    pub input_event_bytes: u32,
    /// `output_event_bytes`.
    pub output_event_bytes: u32,
    /// [`region_flags`] the creator asks of the other side.
    pub flags: u32,
    reserved: [u32; 4],
}

/// What the creator of a region asks of the side that opens it ([`RegionHeader::flags`]).
pub mod region_flags {
    /// Lock the mapping into RAM ([`super::AudioRegion::lock`]).
    pub const LOCK_MEMORY: u32 = 1;
}

/// What the proxy asks of the server ([`BlockRequest::command`]).
pub mod command {
    /// Nothing (fresh region).
    pub const IDLE: u32 = 0;
    /// Process the block described in the request.
    pub const PROCESS: u32 = 1;
    /// The callback in the reply slot has been answered.
    pub const CALLBACK_ANSWERED: u32 = 2;
    /// Leave the audio loop.
    pub const SHUTDOWN: u32 = 3;
}

/// What the server reports ([`BlockReply::state`]).
pub mod state {
    /// Nothing yet.
    pub const IDLE: u32 = 0;
    /// The block `block_seq` is done; outputs and output events are valid.
    pub const DONE: u32 = 1;
    /// The plugin made a callback inside process; the slot holds it.
    pub const CALLBACK: u32 = 2;
}

/// Which process function a block uses ([`BlockRequest::kind`]).
pub mod block_kind {
    /// `processReplacing`, f32.
    pub const REPLACING: u32 = 0;
    /// `processDoubleReplacing`, f64.
    pub const DOUBLE_REPLACING: u32 = 1;
    /// The accumulating `process`, f32: outputs hold the host's data on entry.
    pub const ACCUMULATING: u32 = 2;
}

/// The block request, written by the proxy before it rings.
#[repr(C)]
pub struct BlockRequest {
    /// A [`command`] value.
    pub command: u32,
    /// Sequence number of this block; echoed in the reply.
    pub block_seq: u32,
    /// Frames in this block.
    pub frames: u32,
    /// A [`block_kind`] value.
    pub kind: u32,
    /// The host's answer to `audioMasterGetCurrentProcessLevel` for this block.
    pub process_level: i32,
    /// Whether `time_info` holds the host's `VstTimeInfo` (else the host returned NULL).
    pub time_info_valid: u32,
    /// Queued parameter changes for this block.
    pub num_param_changes: u32,
    /// Input event records for this block.
    pub num_input_events: u32,
    /// Bytes of input event records.
    pub input_event_bytes: u32,
    /// Events dropped because the area was full.
    pub dropped_input_events: u32,
    /// The CPU the host's audio thread runs on (`u32::MAX`: do not follow). The server's
    /// audio thread moves there, so each wake stays on one CPU: a wake that crosses CPUs
    /// costs tens of microseconds on a virtual machine.
    pub host_cpu: u32,
    /// The realtime (`SCHED_FIFO`/`SCHED_RR`) priority of the host's audio thread, 0 when it
    /// is not realtime, `u32::MAX`: do not follow. The server's audio thread takes one step
    /// below it, so the host's thread can always preempt a plugin that spins.
    pub host_priority: u32,
    /// Counts the blocks that carried queued parameter changes (0: none yet). The server
    /// publishes the last one it applied, so a dispatcher call that left the proxy after a
    /// block took the DAW's changes never runs before them.
    pub change_seq: u32,
    /// Keeps `time_info` 8-aligned.
    pub reserved: u32,
    /// The `VstTimeInfo` prefetched from the host for this block (88 bytes, same layout on
    /// every target).
    pub time_info: [u8; 88],
}

/// A callback the plugin made inside process, posted for the proxy's audio thread, and its
/// answer: an encoded [`crate::HostCall`] that the proxy overwrites with the encoded
/// [`crate::HostReply`] (see [`crate::encode_into_slice`]).
#[repr(C)]
pub struct CallbackSlot {
    /// Bytes used in `bytes`.
    pub len: u32,
    /// Keeps `bytes` 8-aligned.
    pub reserved: u32,
    /// The encoded message.
    pub bytes: [u8; CALLBACK_BYTES],
}

/// The block reply, written by the server before it rings.
#[repr(C)]
pub struct BlockReply {
    /// A [`state`] value.
    pub state: u32,
    /// The `block_seq` this reply is for.
    pub block_seq: u32,
    /// Output event records.
    pub num_output_events: u32,
    /// Bytes of output event records.
    pub output_event_bytes: u32,
    /// Output events dropped because the area was full.
    pub dropped_output_events: u32,
    /// Heap allocations the server's own code made on its audio thread so far (0 is the
    /// design; tests and benchmarks check it).
    pub server_allocations: u32,
    /// The CPU the server's audio thread ran this block on (`u32::MAX`: unknown). The proxy
    /// spins briefly for the reply only when this differs from its own CPU.
    pub server_cpu: u32,
    reserved: u32,
    /// The callback being made, when `state` is [`state::CALLBACK`].
    pub callback: CallbackSlot,
}

/// Where the [`RegionHeader`] starts.
pub const HEADER_OFFSET: usize = 0;
/// The doorbell word the proxy rings for the server (its waiter count is the next word).
pub const TO_SERVER_OFFSET: usize = 64;
/// The doorbell word the server rings for the proxy (its waiter count is the next word).
pub const TO_PROXY_OFFSET: usize = 128;
/// Where the [`BlockRequest`] starts.
pub const REQUEST_OFFSET: usize = 192;
/// Where the [`BlockReply`] starts.
pub const REPLY_OFFSET: usize = 384;
/// Where the fixed part ends and the variable areas begin.
pub const FIXED_END: usize = REPLY_OFFSET + size_of::<BlockReply>();

// Checked by the 32-bit and the 64-bit build alike: both sides agree on every offset.
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<RegionHeader>() == 64);
    assert!(offset_of!(RegionHeader, total_bytes) == 8);
    assert!(size_of::<BlockRequest>() == 144);
    assert!(offset_of!(BlockRequest, time_info) == 56);
    assert!(offset_of!(CallbackSlot, bytes) == 8);
    assert!(size_of::<CallbackSlot>() == 8 + CALLBACK_BYTES);
    assert!(offset_of!(BlockReply, callback) == 32);
    assert!(REQUEST_OFFSET + size_of::<BlockRequest>() <= REPLY_OFFSET);
};

/// Offsets of the variable areas for given capacities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The parameter-change queue.
    pub param_changes: usize,
    /// The parameter-value table.
    pub param_values: usize,
    /// Input event records.
    pub input_events: usize,
    /// Output event records.
    pub output_events: usize,
    /// The first input channel.
    pub inputs: usize,
    /// The first output channel.
    pub outputs: usize,
    /// The region's size.
    pub total: usize,
}

/// `offset` rounded up to a cache line; `None` on overflow.
fn align64(offset: usize) -> Option<usize> {
    offset.checked_add(63).map(|end| end & !63)
}

impl Areas {
    /// The areas for `capacity`; `None` when they would not fit in this process's address
    /// space (every size is computed with checked arithmetic: the capacities come from a
    /// header the other process wrote).
    pub fn of(capacity: &RegionCapacity) -> Option<Self> {
        let after = |start: usize, count: u32, each: usize| -> Option<usize> {
            align64(start.checked_add((count as usize).checked_mul(each)?)?)
        };
        let param_changes = align64(FIXED_END)?;
        let param_values = after(param_changes, capacity.max_param_changes, 8)?;
        let input_events = after(param_values, capacity.max_params, 4)?;
        let output_events = after(input_events, capacity.input_event_bytes, 1)?;
        let inputs = after(output_events, capacity.output_event_bytes, 1)?;
        let channel = (capacity.max_frames as usize).checked_mul(8)?;
        let outputs = after(inputs, capacity.max_inputs, channel)?;
        let total = after(outputs, capacity.max_outputs, channel)?;
        Some(Self {
            param_changes,
            param_values,
            input_events,
            output_events,
            inputs,
            outputs,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacity(frames: u32, channels: u32) -> RegionCapacity {
        RegionCapacity {
            max_frames: frames,
            max_inputs: channels,
            max_outputs: channels,
            max_params: 16,
            max_param_changes: 1024,
            input_event_bytes: 1 << 19,
            output_event_bytes: 1 << 19,
        }
    }

    #[test]
    fn areas_follow_each_other_on_cache_lines() {
        let areas = Areas::of(&capacity(512, 2)).unwrap();
        assert_eq!(areas.param_changes % 64, 0);
        assert!(areas.param_values >= areas.param_changes + 1024 * 8);
        assert!(areas.outputs >= areas.inputs + 2 * 512 * 8);
        assert_eq!(areas.total, areas.outputs + 2 * 512 * 8);
    }

    #[test]
    fn capacities_past_the_address_space_are_refused_not_wrapped() {
        assert_eq!(Areas::of(&capacity(u32::MAX, u32::MAX)), None);
    }
}
