//! The shared-memory audio region of one plugin instance: creating (proxy) and mapping
//! (server) it. Its layout — every struct, offset and version — is `bridge_proto::
//! region_layout`, re-exported here; this module owns the mapping and the raw access.
//!
//! The side that writes a field owns it until it rings the other side's doorbell; the
//! doorbell's release/acquire ordering publishes the writes. Fields are accessed through
//! raw pointers only, never through references that would claim exclusive access to
//! memory another process writes.

use std::io;
use std::sync::atomic::AtomicU32;

use crate::doorbell::{Doorbell, SocketSignal};
use crate::os::{Mapping, Object, ObjectRef, SharedMemory, Stream, Waker};
use bridge_proto::WakeMethod;

pub use bridge_proto::region_layout::*;

/// A mapped region.
pub struct AudioRegion {
    map: Mapping,
    /// Benchmarks only: the socket the doorbells signal through instead of the futex.
    signal: Option<Stream>,
    capacity: RegionCapacity,
    areas: Areas,
    /// The shared memory (kept open: it is handed on as an object).
    memory: SharedMemory,
    /// What wakes the server's doorbell, then the proxy's, across processes.
    wakers: [Waker; 2],
}

// SAFETY: the mapping is plain shared memory; all access goes through raw pointers and
// atomics under the doorbell protocol described in the module docs.
unsafe impl Send for AudioRegion {}
// SAFETY: as above.
unsafe impl Sync for AudioRegion {}

impl AudioRegion {
    /// How many OS objects a region whose doorbells wake by `wake` is handed over as: its
    /// memory, then the wakers of its two doorbells (if they need any).
    pub fn object_count(wake: WakeMethod) -> usize {
        1 + 2 * Waker::objects(wake)
    }

    /// Creates a new region (anonymous shared memory no one can resize, see
    /// [`SharedMemory`]) whose doorbells wake by `wake`, and maps it.
    pub fn create(capacity: RegionCapacity, wake: WakeMethod) -> io::Result<Self> {
        let areas = Areas::of(&capacity).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a region for {capacity:?} would not fit in memory"),
            )
        })?;
        let memory = SharedMemory::create(areas.total as u64)?;
        let region = Self::map(memory, [Waker::new(wake)?, Waker::new(wake)?], capacity, areas)?;
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

    /// Maps a region [`AudioRegion::create`] made, handed over as its objects (see
    /// [`AudioRegion::objects`]), validating that no one can resize its memory, and its
    /// header.
    pub fn open(objects: Vec<Object>) -> io::Result<Self> {
        let mut objects = objects.into_iter();
        let memory = SharedMemory::from_object(objects.next().ok_or_else(|| invalid("no region memory"))?)?;
        let wakers = [Waker::from_objects(&mut objects)?, Waker::from_objects(&mut objects)?];
        if objects.next().is_some() {
            return Err(invalid("a region is handed over as its memory and its wakers, no more"));
        }
        Self::open_with(memory, wakers)
    }

    /// Maps the region in `memory` (validating its header), woken through `wakers`.
    pub fn open_with(memory: SharedMemory, wakers: [Waker; 2]) -> io::Result<Self> {
        let length = usize::try_from(memory.size()?).map_err(|_| invalid("region memory is too large"))?;
        if length < FIXED_END {
            return Err(invalid("region memory is too small"));
        }
        let probe = memory.map()?;
        if probe.size() < FIXED_END {
            return Err(invalid("region mapping is too small"));
        }
        // SAFETY: the mapping is at least FIXED_END bytes, so the header is in bounds; it is
        // read by value, once, and every field is checked below before use.
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
        let areas = Areas::of(&capacity).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a region for {capacity:?} would not fit in memory"),
            )
        })?;
        if areas.total as u64 != header.total_bytes || areas.total > length {
            return Err(invalid("region header does not match its size"));
        }
        Self::map(memory, wakers, capacity, areas)
    }

    fn map(memory: SharedMemory, wakers: [Waker; 2], capacity: RegionCapacity, areas: Areas) -> io::Result<Self> {
        let map = memory.map()?;
        if map.size() < areas.total {
            return Err(invalid("mapping is shorter than the layout"));
        }
        Ok(Self {
            map,
            signal: None,
            capacity,
            areas,
            memory,
            wakers,
        })
    }

    /// The objects to hand the server, in the order [`AudioRegion::open`] takes them.
    pub fn objects(&self) -> Vec<ObjectRef<'_>> {
        std::iter::once(self.memory.object())
            .chain(self.wakers.iter().filter_map(Waker::object))
            .collect()
    }

    /// Locks the whole mapping into RAM (and faults it in now), so no block ever waits for a
    /// page. Needs `CAP_IPC_LOCK` or room under `RLIMIT_MEMLOCK`.
    pub fn lock(&self) -> io::Result<()> {
        self.map.lock()
    }

    /// Faults every page of the mapping in now, writable, so this process takes no page
    /// fault on it later (the pages stay resident only while some process locks them).
    pub fn populate(&self) -> io::Result<()> {
        self.map.populate()
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

    /// The capacities.
    pub fn capacity(&self) -> RegionCapacity {
        self.capacity
    }

    fn base(&self) -> *mut u8 {
        self.map.as_ptr()
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
        Doorbell::new(
            unsafe { &*self.at::<AtomicU32>(TO_SERVER_OFFSET) },
            // SAFETY: the next 4-aligned word of the same cache line, only accessed atomically.
            unsafe { &*self.at::<AtomicU32>(TO_SERVER_OFFSET + 4) },
            &self.wakers[0],
        )
        .with_signal(
            // SAFETY: the request lies inside the mapping, which outlives the doorbell, and
            // only the proxy (the side that rings this doorbell) writes it, before ringing.
            self.signal.as_ref().map(|stream| unsafe {
                SocketSignal::new(stream, self.request().cast_const().cast(), size_of::<BlockRequest>())
            }),
        )
    }

    /// Benchmarks only: signals blocks through `stream` (each ring a message carrying the
    /// request or the reply, both directions) instead of the futex.
    pub fn set_signal(&mut self, stream: Stream) -> io::Result<()> {
        stream.set_read_timeout(Some(crate::doorbell::SIGNAL_POLL))?;
        self.signal = Some(stream);
        Ok(())
    }

    /// The doorbell the server rings to wake the proxy.
    pub fn to_proxy(&self) -> Doorbell<'_> {
        // SAFETY: a 4-aligned word inside the mapping, only ever accessed atomically.
        Doorbell::new(
            unsafe { &*self.at::<AtomicU32>(TO_PROXY_OFFSET) },
            // SAFETY: the next 4-aligned word of the same cache line, only accessed atomically.
            unsafe { &*self.at::<AtomicU32>(TO_PROXY_OFFSET + 4) },
            &self.wakers[1],
        )
        .with_signal(
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
        let created = AudioRegion::create(capacity(), WakeMethod::Native).unwrap();
        let opened = AudioRegion::open(duplicates(&created)).unwrap();
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

    /// The region's objects as the server would receive them (duplicated in-process).
    fn duplicates(region: &AudioRegion) -> Vec<Object> {
        region
            .objects()
            .into_iter()
            .map(|object| crate::os::duplicate(object).unwrap())
            .collect()
    }

    #[test]
    fn garbage_and_a_wrong_count_of_objects_are_refused() {
        let memory = SharedMemory::create(4096).unwrap();
        let mapping = memory.map().unwrap();
        // SAFETY: the mapping is 4096 writable bytes of our own.
        unsafe { std::ptr::write_bytes(mapping.as_ptr(), 7, 4096) };
        let wakers = [
            Waker::new(WakeMethod::Native).unwrap(),
            Waker::new(WakeMethod::Native).unwrap(),
        ];
        assert!(AudioRegion::open_with(memory, wakers).is_err(), "not a region");
        let created = AudioRegion::create(capacity(), WakeMethod::Native).unwrap();
        let mut objects = duplicates(&created);
        objects.pop();
        assert!(AudioRegion::open(objects).is_err(), "an object is missing");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn unsealed_files_are_refused() {
        let path = std::env::temp_dir().join(format!("vstbridge-region-garbage-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 4096]).unwrap();
        let result = AudioRegion::open(vec![std::fs::File::open(&path).unwrap().into()]);
        std::fs::remove_file(&path).ok();
        assert!(result.is_err(), "a plain file can be truncated under the mapping");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn nobody_can_resize_a_region() {
        let created = AudioRegion::create(capacity(), WakeMethod::Native).unwrap();
        let total = created.total_bytes() as u64;
        // What a plugin in the server could try on its descriptor: both are refused.
        let other = std::fs::File::from(duplicates(&created).remove(0));
        assert!(other.set_len(4096).is_err(), "shrinking is sealed");
        assert!(other.set_len(total * 2).is_err(), "growing is sealed");
        assert_eq!(other.metadata().unwrap().len(), total);
    }
}
