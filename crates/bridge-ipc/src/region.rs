//! The shared-memory audio region of one plugin instance: its layout, creation (proxy) and
//! mapping (server).
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

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU32;

use memmap2::MmapRaw;

use crate::doorbell::{Doorbell, SocketSignal};

/// `VBRG` in little-endian memory.
pub const REGION_MAGIC: u32 = u32::from_le_bytes(*b"VBRG");
/// Bumped on every layout change.
pub const REGION_VERSION: u32 = 4;
/// Bytes of the callback slot's payload (strings a callback carries inside process).
pub const CALLBACK_PAYLOAD_BYTES: usize = 1024;

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

/// A callback the plugin made inside process, posted for the proxy's audio thread.
#[repr(C)]
pub struct CallbackSlot {
    /// audioMaster opcode.
    pub opcode: i32,
    /// `index`.
    pub index: i32,
    /// `value`.
    pub value: i64,
    /// `opt`.
    pub opt: f32,
    /// Bytes used in `payload` (an in-string or an out-string).
    pub payload_len: u32,
    /// The host's answer.
    pub result: i64,
    /// The plugin's `AEffect` fields at the time of the call: numPrograms, numParams,
    /// numInputs, numOutputs, flags, initialDelay, uniqueID, version.
    pub effect: [i32; 8],
    /// String payload.
    pub payload: [u8; CALLBACK_PAYLOAD_BYTES],
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

const HEADER_OFFSET: usize = 0;
const TO_SERVER_OFFSET: usize = 64;
const TO_PROXY_OFFSET: usize = 128;
const REQUEST_OFFSET: usize = 192;
const REPLY_OFFSET: usize = 384;
const FIXED_END: usize = REPLY_OFFSET + size_of::<BlockReply>();

// Checked by the 32-bit and the 64-bit build alike: both sides agree on every offset.
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<RegionHeader>() == 64);
    assert!(offset_of!(RegionHeader, total_bytes) == 8);
    assert!(size_of::<BlockRequest>() == 144);
    assert!(offset_of!(BlockRequest, time_info) == 56);
    assert!(offset_of!(CallbackSlot, value) == 8);
    assert!(offset_of!(CallbackSlot, result) == 24);
    assert!(offset_of!(CallbackSlot, effect) == 32);
    assert!(offset_of!(CallbackSlot, payload) == 64);
    assert!(size_of::<CallbackSlot>() == 64 + CALLBACK_PAYLOAD_BYTES);
    assert!(offset_of!(BlockReply, callback) == 32);
    assert!(REQUEST_OFFSET + size_of::<BlockRequest>() <= REPLY_OFFSET);
};

/// Offsets of the variable areas for given capacities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Areas {
    param_changes: usize,
    param_values: usize,
    input_events: usize,
    output_events: usize,
    inputs: usize,
    outputs: usize,
    total: usize,
}

const fn align64(offset: usize) -> usize {
    (offset + 63) & !63
}

impl Areas {
    fn of(capacity: &RegionCapacity) -> Self {
        let param_changes = align64(FIXED_END);
        let param_values = align64(param_changes + capacity.max_param_changes as usize * 8);
        let input_events = align64(param_values + capacity.max_params as usize * 4);
        let output_events = align64(input_events + capacity.input_event_bytes as usize);
        let inputs = align64(output_events + capacity.output_event_bytes as usize);
        let channel = capacity.max_frames as usize * 8;
        let outputs = align64(inputs + capacity.max_inputs as usize * channel);
        let total = align64(outputs + capacity.max_outputs as usize * channel);
        Self {
            param_changes,
            param_values,
            input_events,
            output_events,
            inputs,
            outputs,
            total,
        }
    }
}

/// A mapped region.
pub struct AudioRegion {
    map: MmapRaw,
    /// Benchmarks only: the socket the doorbells signal through instead of the futex.
    signal: Option<interprocess::local_socket::Stream>,
    capacity: RegionCapacity,
    areas: Areas,
    path: PathBuf,
}

// SAFETY: the mapping is plain shared memory; all access goes through raw pointers and
// atomics under the doorbell protocol described in the module docs.
unsafe impl Send for AudioRegion {}
// SAFETY: as above.
unsafe impl Sync for AudioRegion {}

impl AudioRegion {
    /// Creates a new region file at `path` (which must not exist; mode 0600) and maps it.
    pub fn create(path: &Path, capacity: RegionCapacity) -> io::Result<Self> {
        let areas = Areas::of(&capacity);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        file.set_len(areas.total as u64)?;
        let region = Self::map(&file, capacity, areas, path)?;
        // SAFETY: the header lies at offset 0 of a fresh, zero-filled mapping we own.
        unsafe {
            let header = region.header();
            (*header).magic = REGION_MAGIC;
            (*header).version = REGION_VERSION;
            (*header).total_bytes = areas.total as u64;
            (*header).max_frames = capacity.max_frames;
            (*header).max_inputs = capacity.max_inputs;
            (*header).max_outputs = capacity.max_outputs;
            (*header).max_params = capacity.max_params;
            (*header).max_param_changes = capacity.max_param_changes;
            (*header).input_event_bytes = capacity.input_event_bytes;
            (*header).output_event_bytes = capacity.output_event_bytes;
        }
        Ok(region)
    }

    /// Maps an existing region created by [`AudioRegion::create`], validating its header.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let length = file.metadata()?.len() as usize;
        if length < FIXED_END {
            return Err(invalid("region file is too small"));
        }
        let probe = MmapRaw::map_raw(&file)?;
        // SAFETY: the file is at least FIXED_END bytes, so the header is in bounds.
        let header = unsafe { probe.as_ptr().cast::<RegionHeader>().read() };
        drop(probe);
        if header.magic != REGION_MAGIC || header.version != REGION_VERSION {
            return Err(invalid("not a vstbridge audio region of this version"));
        }
        let capacity = RegionCapacity {
            max_frames: header.max_frames,
            max_inputs: header.max_inputs,
            max_outputs: header.max_outputs,
            max_params: header.max_params,
            max_param_changes: header.max_param_changes,
            input_event_bytes: header.input_event_bytes,
            output_event_bytes: header.output_event_bytes,
        };
        let areas = Areas::of(&capacity);
        if areas.total as u64 != header.total_bytes || areas.total > length {
            return Err(invalid("region header does not match its size"));
        }
        Self::map(&file, capacity, areas, path)
    }

    fn map(file: &File, capacity: RegionCapacity, areas: Areas, path: &Path) -> io::Result<Self> {
        let map = MmapRaw::map_raw(file)?;
        if map.len() < areas.total {
            return Err(invalid("mapping is shorter than the layout"));
        }
        Ok(Self {
            map,
            signal: None,
            capacity,
            areas,
            path: path.to_path_buf(),
        })
    }

    /// Locks the whole mapping into RAM (and faults it in now), so no block ever waits for a
    /// page. Needs `CAP_IPC_LOCK` or room under `RLIMIT_MEMLOCK`.
    pub fn lock(&self) -> io::Result<()> {
        self.map.lock()
    }

    /// Faults every page of the mapping in now, writable, so this process takes no page
    /// fault on it later (the pages stay resident only while some process locks them).
    pub fn populate(&self) -> io::Result<()> {
        self.map.advise(memmap2::Advice::PopulateWrite)
    }

    /// Bytes of the mapping.
    pub fn total_bytes(&self) -> usize {
        self.areas.total
    }

    /// Sets or clears header flags (the creator does, before the other side opens it).
    pub fn set_flags(&self, flags: u32) {
        // SAFETY: the header is in bounds; the flags are written before the other side maps
        // the region and never after.
        unsafe { (*self.header()).flags = flags };
    }

    /// The header's [`region_flags`].
    pub fn flags(&self) -> u32 {
        // SAFETY: the header is in bounds and its flags no longer change.
        unsafe { (*self.header()).flags }
    }

    /// The file backing the region.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the backing file; the mappings stay valid. The proxy does this once the
    /// server has mapped the region, so nothing is left behind whatever happens later.
    pub fn unlink(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    /// The capacities.
    pub fn capacity(&self) -> RegionCapacity {
        self.capacity
    }

    fn base(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    fn at<T>(&self, offset: usize) -> *mut T {
        // SAFETY: every offset used is inside the mapping by construction of `Areas`.
        unsafe { self.base().add(offset).cast() }
    }

    /// The header.
    pub fn header(&self) -> *mut RegionHeader {
        self.at(HEADER_OFFSET)
    }

    /// The doorbell the proxy rings to wake the server.
    pub fn to_server(&self) -> Doorbell<'_> {
        // SAFETY: a 4-aligned word inside the mapping, only ever accessed atomically.
        Doorbell::with_signal(
            unsafe { &*self.at::<AtomicU32>(TO_SERVER_OFFSET) },
            // SAFETY: the request lies inside the mapping, which outlives the doorbell, and
            // only the proxy (the side that rings this doorbell) writes it, before ringing.
            self.signal.as_ref().map(|stream| unsafe {
                SocketSignal::new(stream, self.request().cast_const().cast(), size_of::<BlockRequest>())
            }),
        )
    }

    /// Benchmarks only: signals blocks through `stream` (each ring a message carrying the
    /// request or the reply, both directions) instead of the futex.
    pub fn set_signal(&mut self, stream: interprocess::local_socket::Stream) -> io::Result<()> {
        use interprocess::local_socket::traits::Stream as _;
        stream.set_recv_timeout(Some(crate::doorbell::SIGNAL_POLL))?;
        self.signal = Some(stream);
        Ok(())
    }

    /// The doorbell the server rings to wake the proxy.
    pub fn to_proxy(&self) -> Doorbell<'_> {
        // SAFETY: a 4-aligned word inside the mapping, only ever accessed atomically.
        Doorbell::with_signal(
            unsafe { &*self.at::<AtomicU32>(TO_PROXY_OFFSET) },
            // The reply without its callback slot, which travels only with a callback.
            // SAFETY: as above, for the reply, which only the server writes before ringing.
            self.signal.as_ref().map(|stream| unsafe {
                SocketSignal::new(
                    stream,
                    self.reply().cast_const().cast(),
                    std::mem::offset_of!(BlockReply, callback),
                )
            }),
        )
    }

    /// The block request (proxy-written).
    pub fn request(&self) -> *mut BlockRequest {
        self.at(REQUEST_OFFSET)
    }

    /// The block reply (server-written).
    pub fn reply(&self) -> *mut BlockReply {
        self.at(REPLY_OFFSET)
    }

    /// The parameter-change queue: `max_param_changes` pairs of (index, value bits).
    pub fn param_changes(&self) -> *mut [u32; 2] {
        self.at(self.areas.param_changes)
    }

    /// The parameter value table: `max_params` values.
    pub fn param_values(&self) -> *mut f32 {
        self.at(self.areas.param_values)
    }

    /// The input event area (`input_event_bytes` bytes).
    pub fn input_events(&self) -> *mut u8 {
        self.at(self.areas.input_events)
    }

    /// The output event area (`output_event_bytes` bytes).
    pub fn output_events(&self) -> *mut u8 {
        self.at(self.areas.output_events)
    }

    /// Input channel `channel` as samples of type `T` (`f32` or `f64`), `max_frames` long.
    /// `None` past the capacity.
    pub fn input_channel<T>(&self, channel: usize) -> Option<*mut T> {
        (channel < self.capacity.max_inputs as usize)
            .then(|| self.at(self.areas.inputs + channel * self.capacity.max_frames as usize * 8))
    }

    /// Output channel `channel`, like [`AudioRegion::input_channel`].
    pub fn output_channel<T>(&self, channel: usize) -> Option<*mut T> {
        (channel < self.capacity.max_outputs as usize)
            .then(|| self.at(self.areas.outputs + channel * self.capacity.max_frames as usize * 8))
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacity() -> RegionCapacity {
        RegionCapacity {
            max_frames: 64,
            max_inputs: 2,
            max_outputs: 3,
            max_params: 10,
            max_param_changes: 16,
            input_event_bytes: 4096,
            output_event_bytes: 4096,
        }
    }

    #[test]
    fn created_region_opens_with_the_same_capacity_and_shares_memory() {
        let path = std::env::temp_dir().join(format!("vstbridge-region-test-{}", std::process::id()));
        let created = AudioRegion::create(&path, capacity()).unwrap();
        let opened = AudioRegion::open(&path).unwrap();
        created.unlink().unwrap();
        assert_eq!(opened.capacity(), capacity());
        let written = created.output_channel::<f32>(2).unwrap();
        // SAFETY: both pointers address channel 2 of the same shared file.
        unsafe {
            written.add(63).write(0.5);
            assert_eq!(opened.output_channel::<f32>(2).unwrap().add(63).read(), 0.5);
        }
        assert!(created.output_channel::<f32>(3).is_none());
        created.to_server().ring().unwrap();
        assert_eq!(opened.to_server().current(), 1);
    }

    #[test]
    fn garbage_file_is_refused() {
        let path = std::env::temp_dir().join(format!("vstbridge-region-garbage-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 4096]).unwrap();
        let result = AudioRegion::open(&path);
        std::fs::remove_file(&path).ok();
        assert!(result.is_err());
    }
}
