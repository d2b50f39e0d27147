//! The proxy's audio path: the shared region, one block per doorbell round trip.
//!
//! Per block the DAW's audio thread copies the inputs into the region, prefetches the
//! transport (`audioMasterGetTime`) and process level for the plugin, rings the server and
//! waits (always with a deadline) for it to ring back; meanwhile it answers any callback the
//! plugin posts from inside process. Then it copies the outputs out and hands the DAW the
//! MIDI the plugin sent. Events (`effProcessEvents`) and `setParameter` calls made on the
//! audio thread are written into the region for the coming block; `getParameter` there reads
//! the server's value table. None of it allocates, locks or makes a system call beyond the
//! doorbell's wake and wait (and a read of this thread's realtime priority once a second).
//!
//! Each request also tells the server where to run: this thread's CPU and realtime priority,
//! which the server's audio thread follows. Each reply says where the server ran; only
//! when that is another CPU does this thread spin briefly for the reply before it sleeps.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::ptr;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bridge_ipc::os::ObjectRef;
use bridge_ipc::region::{CALLBACK_BYTES, block_kind, command, region_flags, state};
use bridge_ipc::region_events::{EventReader, EventWriter, VstEventsBuilder};
use bridge_ipc::{AudioRegion, RegionCapacity};
use bridge_proto::{
    EffectInfo, HostCall, HostReply, HostReplyPayload, Request, Response, WakeMethod, decode_slice, encode_into_slice,
};
use vst2_abi::constants::process_level;
use vst2_abi::{HostOpcode, VstTimeInfo};
use vst2_host::EventsView;

use crate::config::{FailurePolicy, FollowCpu};
use crate::daw_buffers::{DawBuffers, ProcessKind, Sample};
use crate::effect::OwnedEffect;
pub use crate::parameters::ParameterChanges;
use crate::sync::lock;
use crate::thread_role::is_processing_thread;

/// What the audio path needs from its instance, and all it may use: the link's health and
/// its one request (attaching a region), the failure policy, our `AEffect`, the plugin's
/// last fields and the DAW's callback. The instance implements it; the audio path imports
/// nothing else of the proxy, so nothing it does can reach the recorder or the watchdog.
pub trait AudioLink {
    /// Whether the server cannot be reached (the block plays silence).
    fn is_dead(&self) -> bool;
    /// Deadlines, spinning, following and locking.
    fn policy(&self) -> &FailurePolicy;
    /// The `AEffect` the DAW holds.
    fn effect(&self) -> &OwnedEffect;
    /// The plugin's fields as last reported (they size the region).
    fn effect_info(&self) -> EffectInfo;
    /// How the current server wakes the region's doorbells.
    fn wake(&self) -> WakeMethod;
    /// Whether the server is a Windows one under Wine (reached through pipes).
    fn under_wine(&self) -> bool;
    /// Sends `request` over the calling thread's connection, with `fd` following it
    /// (`None`: failed or dead).
    fn request(&self, request: Request, objects: &[ObjectRef<'_>]) -> Option<Response>;
    /// Answers a plugin callback made inside process, as one from a connection is answered.
    fn answer_callback(&self, call: &HostCall) -> HostReply;
    /// Calls the DAW's `audioMaster` with our `AEffect`.
    ///
    /// # Safety
    /// `ptr` (and `value`, for opcodes that carry a pointer) must be what the opcode
    /// carries, valid for the call.
    unsafe fn call_daw(&self, opcode: HostOpcode, index: i32, value: isize, ptr: *mut c_void, opt: f32) -> isize;
}

/// Channel capacity a region gets at least (regions are sparse: untouched pages cost
/// nothing).
const MIN_CHANNELS: u32 = 32;
/// Frame capacity a region gets at least.
const MIN_FRAMES: u32 = 512;
/// Frame capacity a region gets at most; longer DAW blocks are processed in pieces.
const MAX_FRAMES: u32 = 8192;
/// Parameter changes queued per block.
const PARAM_CHANGES: u32 = 1024;
/// Bytes of event records per block, each direction.
const EVENT_BYTES: u32 = 512 << 10;
/// The `VstTimeInfo` flags requested from the DAW for every block (all the `*Valid` bits).
const TIME_INFO_MASK: isize = 0xFF00;

/// A region the server has attached, and the audio thread's state for it.
struct Attached {
    region: AudioRegion,
    state: UnsafeCell<BlockState>,
}

/// Touched only by the DAW's audio thread (VST2 never runs two process calls of one
/// instance at once).
struct BlockState {
    seq: u32,
    seen_to_proxy: u32,
    output_events: VstEventsBuilder,
    /// A private copy of the region's output event area, taken before the records are read:
    /// the server could rewrite the area while the DAW reads the events (a MIDI record
    /// turned into SysEx would hand the DAW a pointer of the server's choosing).
    output_copy: Vec<u64>,
    /// The CPU the server's audio thread ran the last block on (`u32::MAX`: unknown).
    server_cpu: u32,
    /// The CPU this thread ran the last block on.
    host_cpu: u32,
    /// The host audio thread's realtime priority as last read, and when (nanoseconds since
    /// [`epoch`]; `None`: never).
    host_priority: u32,
    priority_read_at: Option<u64>,
    /// Blocks in a row this thread ran on the same CPU.
    steady_blocks: u32,
}

/// Blocks in a row on one CPU after which the host's audio thread counts as steady, and a
/// server following `when steady` joins it (at 64 frames, about 40 ms).
const STEADY_BLOCKS: u32 = 32;

/// How often the audio thread re-reads its own realtime priority (a system call, so not
/// every block; a DAW sets it once when it starts its audio engine).
const PRIORITY_REREAD: Duration = Duration::from_secs(1);

/// The answer to a callback that could not be read.
const NEUTRAL_REPLY: HostReply = HostReply {
    result: 0,
    payload: HostReplyPayload::None,
};

/// How long a process call spins for the request area another thread holds (a
/// `processEvents` copying events) before it plays the block as silence.
const REQUEST_AREA_SPIN: Duration = Duration::from_micros(200);

/// The proxy's audio state for one instance.
pub struct ProxyAudio {
    current: AtomicPtr<Attached>,
    /// `setParameter` calls on their way to the plugin, and which reached it by block.
    pub parameters: ParameterChanges,
    /// Held by whoever writes the region's request area: a process call for its whole block,
    /// or `processEvents` while it copies events in. So events from another thread never
    /// race a block in flight.
    request_area: AtomicBool,
    /// Every region ever attached, freed when the instance closes (a region is replaced only
    /// while processing is suspended, but a late audio call must still find valid memory).
    /// Boxed so each keeps its address when the vector grows.
    #[allow(clippy::vec_box)]
    owned: Mutex<Vec<Box<Attached>>>,
    /// A block that missed its deadline and has not been answered yet.
    outstanding: AtomicBool,
    /// The channel counts of the DAW's buffers (inputs in the high half, outputs in the
    /// low): what our `AEffect` said when the DAW last resumed the plugin (or created it).
    /// The plugin may announce other counts at any time; the DAW's arrays change only when
    /// it re-reads them, which VST2 hosts do when they resume, so process indexes the DAW's
    /// arrays with these and never with a count the server just sent.
    daw_channels: AtomicU64,
    /// Blocks output as silence because the server was late.
    pub late_blocks: AtomicU64,
    /// Socket round trips a thread that renders audio had to make for setParameter,
    /// getParameter or effProcessEvents (a full queue, no region yet): the audio path should
    /// never wait for one, and the bench fails if it did.
    pub socket_fallbacks: AtomicU64,
    /// Callbacks from inside process whose slot could not be decoded (the watchdog reports
    /// them; the audio thread does not log).
    pub malformed_callbacks: AtomicU64,
    /// The block size the DAW announced (0 before it did).
    pub block_size: AtomicU32,
    /// The sample rate the DAW announced, as `f32` bits (0 before it did).
    pub sample_rate: AtomicU32,
    /// When the outstanding block was sent, in nanoseconds since [`epoch`].
    outstanding_since: AtomicU64,
}

/// A fixed instant the audio path measures from (reading it allocates nothing).
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl Default for ProxyAudio {
    fn default() -> Self {
        Self {
            current: AtomicPtr::default(),
            parameters: ParameterChanges::default(),
            request_area: AtomicBool::new(false),
            owned: Mutex::default(),
            outstanding: AtomicBool::new(false),
            daw_channels: AtomicU64::new(0),
            late_blocks: AtomicU64::new(0),
            socket_fallbacks: AtomicU64::new(0),
            malformed_callbacks: AtomicU64::new(0),
            block_size: AtomicU32::new(0),
            sample_rate: AtomicU32::new(0),
            outstanding_since: AtomicU64::new(0),
        }
    }
}

fn nanos_since_epoch() -> u64 {
    Instant::now().saturating_duration_since(epoch()).as_nanos() as u64
}

// SAFETY: `BlockState` is only touched by the thread inside process (see above); the region
// is shared memory accessed through raw pointers under the doorbell protocol.
unsafe impl Sync for Attached {}
// SAFETY: as above.
unsafe impl Send for Attached {}

/// Releases the request area when dropped.
struct RequestArea<'a>(&'a AtomicBool);

impl Drop for RequestArea<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl ProxyAudio {
    fn attached(&self) -> Option<&Attached> {
        let current = self.current.load(Ordering::Acquire);
        // SAFETY: attached regions live until the instance is dropped.
        (!current.is_null()).then(|| unsafe { &*current })
    }

    /// The attached region, if the calling thread renders audio.
    fn on_processing_thread(&self) -> Option<&Attached> {
        is_processing_thread().then(|| self.attached()).flatten()
    }

    /// Takes the request area if no one holds it.
    fn try_request_area(&self) -> Option<RequestArea<'_>> {
        self.request_area
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            .then_some(RequestArea(&self.request_area))
    }

    /// Takes the request area, spinning a moment for a `processEvents` on another thread
    /// that is copying events in; `None` if it stays held (two process calls at once).
    fn request_area(&self) -> Option<RequestArea<'_>> {
        let started = Instant::now();
        loop {
            if let Some(area) = self.try_request_area() {
                return Some(area);
            }
            if started.elapsed() >= REQUEST_AREA_SPIN {
                return None;
            }
            std::hint::spin_loop();
        }
    }

    /// Counts a socket round trip the calling thread is about to make for setParameter,
    /// getParameter or effProcessEvents, if it renders audio.
    pub fn note_socket_fallback(&self) {
        if is_processing_thread() {
            self.socket_fallbacks.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether a block is being processed right now.
    pub fn block_in_flight(&self) -> bool {
        self.request_area.load(Ordering::Acquire)
    }

    /// Takes `(inputs, outputs)` (our `AEffect`'s counts, already capped) as the shape of
    /// the DAW's buffers from now on: called when the DAW creates or resumes the plugin.
    pub fn latch_daw_channels(&self, (inputs, outputs): (usize, usize)) {
        let (inputs, outputs) = (
            inputs.min(u32::MAX as usize) as u64,
            outputs.min(u32::MAX as usize) as u64,
        );
        self.daw_channels.store(inputs << 32 | outputs, Ordering::Release);
    }

    /// The shape of the DAW's buffers, see [`ProxyAudio::latch_daw_channels`].
    fn daw_channels(&self) -> (usize, usize) {
        let packed = self.daw_channels.load(Ordering::Acquire);
        ((packed >> 32) as usize, (packed & u64::from(u32::MAX)) as usize)
    }

    /// The server's count of its own heap allocations on its audio thread, as of the last
    /// block (`None` before a region is attached).
    pub fn server_allocations(&self) -> Option<u32> {
        let attached = self.attached()?;
        // SAFETY: a plain read of a server-written counter.
        Some(unsafe { (*attached.region.reply()).server_allocations })
    }

    /// How long the outstanding (late) block has gone unanswered, if there is one.
    pub fn late_for(&self) -> Option<Duration> {
        self.outstanding.load(Ordering::Acquire).then(|| {
            Duration::from_nanos(nanos_since_epoch().saturating_sub(self.outstanding_since.load(Ordering::Acquire)))
        })
    }

    /// Wakes the audio thread if it waits for a block (the server died).
    pub fn wake(&self) {
        if let Some(attached) = self.attached() {
            let _ = attached.region.to_proxy().ring();
        }
    }

    /// A copy of the first `count` values of the region's parameter table (the server's
    /// latest values), if a region is attached.
    pub fn parameter_table(&self, count: i32) -> Option<Vec<f32>> {
        let attached = self.attached()?;
        let count = (count.max(0) as u32).min(attached.region.capacity().max_params) as usize;
        // SAFETY: `count` is within the table.
        Some(
            (0..count)
                .map(|i| unsafe { attached.region.param_values().add(i).read() })
                .collect(),
        )
    }

    /// Stops using the region (the instance is closing).
    pub fn detach(&self) {
        self.current.store(ptr::null_mut(), Ordering::Release);
    }

    /// Parameters whose DAW-set values reached the plugin through a block since the state
    /// mirror last took a chunk, with the values the DAW set (the region's table's for
    /// parameters beyond those tracked).
    pub fn touched_parameters(&self) -> Vec<(i32, f32)> {
        let Some(attached) = self.attached() else {
            return Vec::new();
        };
        let (values, capacity) = (attached.region.param_values(), attached.region.capacity());
        self.parameters
            .touched()
            .into_iter()
            .filter(|&index| index < capacity.max_params as usize)
            .map(|index| {
                // The DAW's own value where it is tracked: the server may have died before it
                // published the plugin's. Otherwise the table's.
                let value = self.parameters.last_queued(index as i32).unwrap_or_else(|| {
                    // SAFETY: `index` is below the table's capacity.
                    unsafe { values.add(index).read() }
                });
                (index as i32, value)
            })
            .collect()
    }

    /// The server's latest value of a parameter, for `getParameter` on a thread that renders
    /// audio (no round trip there); while a change of it waits for the plugin, the value the
    /// DAW set. `None` elsewhere: another thread asks the plugin (the call carries the
    /// queued changes, so it reads its own writes with the plugin's own rounding).
    pub fn cached_parameter(&self, index: i32) -> Option<f32> {
        let attached = self.on_processing_thread()?;
        if self.parameters.any_queued() {
            // A change waiting for the plugin reads back as the value the DAW set (the
            // plugin's own, perhaps rounded, value replaces it after the next block);
            // a parameter beyond those tracked is asked for.
            if let Some(queued) = self.parameters.queued_value(index)? {
                return Some(queued);
            }
        }
        let capacity = attached.region.capacity();
        // SAFETY: the index is below the table's capacity; a torn read of an f32 is impossible.
        (0..capacity.max_params as i32)
            .contains(&index)
            .then(|| unsafe { attached.region.param_values().add(index as usize).read() })
    }

    /// Queues `effProcessEvents` for the next block; `false` when they do not fit (or there is
    /// no region) and must go over the connection instead.
    pub fn queue_events(&self, events: &EventsView<'_>) -> bool {
        let Some(attached) = self.attached() else { return false };
        // A block in flight on another thread owns the area: those events go over the
        // connection and reach the plugin at once, as they would without a bridge.
        let Some(_area) = self.try_request_area() else {
            return false;
        };
        if self.outstanding.load(Ordering::Acquire) {
            return false;
        }
        let region = &attached.region;
        let request = region.request();
        // SAFETY: the input event area and its counters are the proxy's between blocks.
        unsafe {
            let mut writer = EventWriter::resume(
                region.input_events(),
                region.capacity().input_event_bytes as usize,
                (*request).input_event_bytes as usize,
                (*request).num_input_events,
            );
            let (used, count) = (writer.used(), writer.count());
            for event in events.iter() {
                let fits = match event {
                    vst2_host::Event::Midi(midi) => writer.push_midi(&midi),
                    vst2_host::Event::Sysex {
                        delta_frames,
                        flags,
                        data,
                    } => writer.push_sysex(delta_frames, flags, data),
                    vst2_host::Event::Other { .. } => true,
                };
                if !fits {
                    // Leave the area as it was; the caller sends the whole list instead.
                    (*request).input_event_bytes = used as u32;
                    (*request).num_input_events = count;
                    return false;
                }
            }
            (*request).input_event_bytes = writer.used() as u32;
            (*request).num_input_events = writer.count();
        }
        true
    }

    /// Makes sure a region with room for `frames` frames and the plugin's channels is
    /// attached, creating and attaching a new one if needed. Called from non-audio threads
    /// while processing is suspended (effSetBlockSize, effMainsChanged, effStartProcess).
    pub fn ensure_region(&self, instance: &impl AudioLink, frames: u32) {
        let info = instance.effect_info();
        let needed = RegionCapacity {
            max_frames: frames.clamp(MIN_FRAMES, MAX_FRAMES),
            max_inputs: (info.num_inputs.max(0) as u32).max(MIN_CHANNELS),
            max_outputs: (info.num_outputs.max(0) as u32).max(MIN_CHANNELS),
            max_params: info.num_params.max(1) as u32,
            max_param_changes: PARAM_CHANGES,
            input_event_bytes: EVENT_BYTES,
            output_event_bytes: EVENT_BYTES,
        };
        if let Some(attached) = self.attached() {
            let have = attached.region.capacity();
            let fits = have.max_frames >= needed.max_frames
                && have.max_inputs >= info.num_inputs.max(0) as u32
                && have.max_outputs >= info.num_outputs.max(0) as u32
                && have.max_params >= needed.max_params;
            if fits {
                return;
            }
        }
        match self.attach_new(instance, needed) {
            Ok(()) => tracing::debug!(?needed, "audio region attached"),
            Err(error) => tracing::error!("cannot set up the shared audio region: {error}"),
        }
    }

    /// Attaches a fresh region for `frames` (a restarted server has none).
    pub fn attach_new_region(&self, instance: &impl AudioLink, frames: u32) -> std::io::Result<()> {
        self.detach();
        self.ensure_region(instance, frames);
        if self.attached().is_none() {
            return Err(std::io::Error::other("no audio region could be attached"));
        }
        Ok(())
    }

    fn attach_new(&self, instance: &impl AudioLink, capacity: RegionCapacity) -> std::io::Result<()> {
        let mut region = AudioRegion::create(capacity, instance.wake())?;
        if instance.policy().lock_memory {
            // The server locks the pages; this side's page tables are filled now, so the
            // first blocks take no page faults on either side.
            region.set_flags(region_flags::LOCK_MEMORY);
            if let Err(error) = region.populate() {
                tracing::debug!("cannot pre-fault the audio region: {error}");
            }
        }
        // Benchmarks only: a socket the server connects to and both sides signal blocks
        // through, instead of the futex.
        let signal = if instance.policy().bench_socket_wake {
            Some(crate::bench_signal::SignalConnection::offer(instance.under_wine())?)
        } else {
            None
        };
        // The region has no name: its objects go to the server with the request.
        let answer = instance.request(
            Request::AttachAudio {
                signal_socket: signal.as_ref().map(|signal| signal.address.clone()),
            },
            &region.objects(),
        );
        if !matches!(answer, Some(Response::Done)) {
            return Err(std::io::Error::other("the server did not attach the region"));
        }
        if let Some(signal) = signal {
            region.set_signal(signal.connected()?)?;
        }
        let state = BlockState {
            seq: 0,
            seen_to_proxy: region.to_proxy().current(),
            output_events: VstEventsBuilder::with_capacity(capacity.output_event_bytes as usize / 16),
            output_copy: vec![0; (capacity.output_event_bytes as usize).div_ceil(8)],
            server_cpu: u32::MAX,
            host_cpu: u32::MAX,
            host_priority: 0,
            priority_read_at: None,
            steady_blocks: 0,
        };
        let mut attached = Box::new(Attached {
            region,
            state: UnsafeCell::new(state),
        });
        let pointer: *mut Attached = &mut *attached;
        lock(&self.owned).push(attached);
        // A fresh region (and perhaps a fresh server): no block has carried changes yet.
        self.parameters.restart_block_count();
        self.outstanding.store(false, Ordering::Release);
        self.current.store(pointer, Ordering::Release);
        Ok(())
    }

    /// Processes one DAW block through the server.
    ///
    /// # Safety
    /// `inputs` and `outputs` must hold the DAW's channel pointers for our declared channel
    /// counts (or be NULL), each valid for `frames` samples of `T`.
    pub unsafe fn process<T: Sample>(
        &self,
        instance: &impl AudioLink,
        kind: ProcessKind,
        inputs: *const *const T,
        outputs: *mut *mut T,
        frames: i32,
    ) {
        let (num_inputs, num_outputs) = self.daw_channels();
        let frames = frames.max(0) as usize;
        // SAFETY: forwarded contract.
        let io = unsafe { DawBuffers::new(inputs, outputs, num_inputs, num_outputs) };
        crate::thread_role::mark_processing();
        let Some(attached) = self.attached().filter(|_| !instance.is_dead()) else {
            io.silence(kind, 0, frames);
            return;
        };
        let Some(_area) = self.request_area() else {
            // Another process call of this instance is running (VST2 forbids it): silence
            // rather than two blocks in one request area.
            io.silence(kind, 0, frames);
            return;
        };
        let max_frames = attached.region.capacity().max_frames as usize;
        let mut offset = 0;
        while offset < frames {
            let piece = (frames - offset).min(max_frames);
            if !self.run_block(instance, attached, kind, &io, offset, piece) {
                io.silence(kind, offset, frames - offset);
                return;
            }
            offset += piece;
        }
    }

    /// One round trip for `piece` frames starting at `offset`. `false` if the server did
    /// not answer in time (or is gone).
    fn run_block<T: Sample>(
        &self,
        instance: &impl AudioLink,
        attached: &Attached,
        kind: ProcessKind,
        io: &DawBuffers<T>,
        offset: usize,
        piece: usize,
    ) -> bool {
        let region = &attached.region;
        // SAFETY: only this (audio) thread touches the block state.
        let block = unsafe { &mut *attached.state.get() };
        let request = region.request();
        let reply = region.reply();
        if self.outstanding.load(Ordering::Acquire) {
            // A late block is still running on the server: wait for nothing, play silence.
            // SAFETY: reading the server's reply fields.
            let done = unsafe { (*reply).state == state::DONE && (*reply).block_seq == block.seq };
            if !done {
                self.late_blocks.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            block.seen_to_proxy = region.to_proxy().current();
            self.outstanding.store(false, Ordering::Release);
        }
        let has_accumulating = instance.effect().has_accumulating();
        let wire_kind = match kind {
            ProcessKind::Replacing => block_kind::REPLACING,
            ProcessKind::DoubleReplacing => block_kind::DOUBLE_REPLACING,
            ProcessKind::Accumulating if has_accumulating => block_kind::ACCUMULATING,
            ProcessKind::Accumulating => block_kind::REPLACING,
        };
        io.copy_in(region, offset, piece, wire_kind == block_kind::ACCUMULATING);
        self.parameters.drain_into_block(region);
        let level = self.prefetch(instance, region);
        let policy = instance.policy();
        let host_cpu = bridge_ipc::os::current_cpu().unwrap_or(u32::MAX);
        block.steady_blocks = if host_cpu == block.host_cpu {
            block.steady_blocks.saturating_add(1)
        } else {
            0
        };
        let follow = match policy.follow_host_cpu {
            FollowCpu::Always => true,
            FollowCpu::Never => false,
            // A host thread the scheduler keeps moving would drag the server after it from
            // CPU to CPU; one that stays put is worth joining.
            FollowCpu::WhenSteady => block.steady_blocks >= STEADY_BLOCKS,
        };
        let host_priority = if policy.follow_host_priority {
            Self::host_priority(block)
        } else {
            u32::MAX
        };
        block.seq = block.seq.wrapping_add(1);
        // SAFETY: the request is ours until we ring; the reply state is reset before the
        // server can write it.
        unsafe {
            (*request).frames = piece as u32;
            (*request).kind = wire_kind;
            (*request).block_seq = block.seq;
            (*request).command = command::PROCESS;
            (*request).host_cpu = if follow { host_cpu } else { u32::MAX };
            (*request).host_priority = host_priority;
            (*reply).state = state::IDLE;
        }
        if region.to_server().ring().is_err() {
            return false;
        }
        let sample_rate = f32::from_bits(self.sample_rate.load(Ordering::Relaxed));
        // An offline render (a bounce) must never contain a dropout: it waits for the plugin
        // as long as a hang takes to declare.
        let deadline = if level == process_level::OFFLINE {
            policy.hang_timeout
        } else {
            policy.block_deadline(piece, sample_rate)
        };
        // Spinning pays only while the server runs on another CPU: on this one it would only
        // delay the server. The reply usually comes before a sleep and a cross-CPU wake would.
        // When this thread just moved, a following server is moving here too: no spin.
        let apart = block.server_cpu != host_cpu && block.server_cpu != u32::MAX && host_cpu != u32::MAX;
        let just_moved = follow && block.steady_blocks == 0;
        let spin = if apart && !just_moved {
            policy.max_spin
        } else {
            Duration::ZERO
        };
        block.host_cpu = host_cpu;
        let sent_at = nanos_since_epoch();
        loop {
            let spun = (!spin.is_zero())
                .then(|| region.to_proxy().spin_past(block.seen_to_proxy, spin))
                .flatten();
            let waited = Duration::from_nanos(nanos_since_epoch().saturating_sub(sent_at));
            let woke = match spun {
                Some(now) => Ok(Some(now)),
                None => region
                    .to_proxy()
                    .wait_past(block.seen_to_proxy, deadline.saturating_sub(waited)),
            };
            if instance.is_dead() {
                return false;
            }
            match woke {
                Ok(Some(now)) => block.seen_to_proxy = now,
                _ => {
                    self.outstanding_since.store(sent_at, Ordering::Release);
                    self.outstanding.store(true, Ordering::Release);
                    self.late_blocks.fetch_add(1, Ordering::Relaxed);
                    return false;
                }
            }
            // SAFETY: the server wrote the reply before ringing.
            match unsafe { (*reply).state } {
                state::CALLBACK => {
                    self.answer_posted_callback(instance, region);
                    // SAFETY: the request is ours again while the server waits.
                    unsafe { (*request).command = command::CALLBACK_ANSWERED };
                    if region.to_server().ring().is_err() {
                        return false;
                    }
                }
                // SAFETY: as above.
                state::DONE if unsafe { (*reply).block_seq } == block.seq => break,
                _ => {}
            }
        }
        // SAFETY: the server wrote the reply before ringing.
        block.server_cpu = unsafe { (*reply).server_cpu };
        let accumulate_here = kind == ProcessKind::Accumulating && wire_kind == block_kind::REPLACING;
        io.copy_out(region, offset, piece, accumulate_here);
        // SAFETY: the queues are ours again; the reply is the server's finished data.
        unsafe {
            (*request).num_param_changes = 0;
            (*request).num_input_events = 0;
            (*request).input_event_bytes = 0;
            let count = (*reply).num_output_events;
            if count > 0 {
                let capacity = region.capacity().output_event_bytes as usize;
                let used = ((*reply).output_event_bytes as usize).min(capacity);
                let copy = block.output_copy.as_mut_ptr().cast::<u8>();
                ptr::copy_nonoverlapping(region.output_events().cast_const(), copy, used);
                let records = EventReader::new(copy, capacity, used, count);
                let (list, delivered) = block.output_events.build(records);
                if delivered > 0 {
                    instance.call_daw(HostOpcode::PROCESS_EVENTS, 0, 0, list.cast(), 0.0);
                }
            }
        }
        true
    }

    /// The realtime priority of the calling (audio) thread, re-read at most once per
    /// [`PRIORITY_REREAD`].
    fn host_priority(block: &mut BlockState) -> u32 {
        let now = nanos_since_epoch();
        let stale = block
            .priority_read_at
            .is_none_or(|at| now.saturating_sub(at) >= PRIORITY_REREAD.as_nanos() as u64);
        if stale {
            block.host_priority = bridge_ipc::os::current_realtime_priority();
            block.priority_read_at = Some(now);
        }
        block.host_priority
    }

    /// Copies the DAW's transport and process level into the request; returns the level.
    fn prefetch(&self, instance: &impl AudioLink, region: &AudioRegion) -> isize {
        let request = region.request();
        // SAFETY: neither opcode takes a pointer.
        let (time, level) = unsafe {
            (
                instance.call_daw(HostOpcode::GET_TIME, 0, TIME_INFO_MASK, ptr::null_mut(), 0.0) as *const VstTimeInfo,
                instance.call_daw(HostOpcode::GET_CURRENT_PROCESS_LEVEL, 0, 0, ptr::null_mut(), 0.0),
            )
        };
        // SAFETY: the request is ours until we ring; the DAW's time info is valid during
        // this callback's aftermath on this thread, and copied at once.
        unsafe {
            (*request).process_level = level as i32;
            (*request).time_info_valid = u32::from(!time.is_null());
            if !time.is_null() {
                ptr::copy_nonoverlapping(
                    time.cast::<u8>(),
                    (*request).time_info.as_mut_ptr(),
                    size_of::<VstTimeInfo>(),
                );
            }
        }
        level
    }

    /// Answers a callback the plugin posted from inside process, on this (audio) thread: the
    /// slot holds an encoded `HostCall`, answered exactly as one from a connection, and gets
    /// the encoded `HostReply` back. The bytes are copied out of shared memory before they
    /// are decoded (the server may rewrite them meanwhile); anything malformed gets the
    /// neutral answer. Encoding and decoding use a stack buffer: nothing is allocated for
    /// callbacks without a string or struct (the common ones inside process).
    fn answer_posted_callback(&self, instance: &impl AudioLink, region: &AudioRegion) {
        let reply = region.reply();
        let mut buffer = [0u8; CALLBACK_BYTES];
        // SAFETY: the slot is the server's data until we ring back; the length is clamped to
        // the slot.
        let length = unsafe {
            let slot = &raw const (*reply).callback;
            let length = ((*slot).len as usize).min(CALLBACK_BYTES);
            ptr::copy_nonoverlapping((&raw const (*slot).bytes).cast::<u8>(), buffer.as_mut_ptr(), length);
            length
        };
        let answer = match decode_slice::<HostCall>(&buffer[..length]) {
            Ok(call) => instance.answer_callback(&call),
            Err(_) => {
                self.malformed_callbacks.fetch_add(1, Ordering::Relaxed);
                NEUTRAL_REPLY
            }
        };
        let length = encode_into_slice(&answer, &mut buffer)
            .or_else(|_| encode_into_slice(&NEUTRAL_REPLY, &mut buffer))
            .unwrap_or(0);
        // SAFETY: the slot is still the server's data only until we ring back, which happens
        // after this write; `length` is at most the slot's size.
        unsafe {
            let slot = &raw mut (*reply).callback;
            ptr::copy_nonoverlapping(buffer.as_ptr(), (&raw mut (*slot).bytes).cast::<u8>(), length);
            (*slot).len = length as u32;
        }
    }
}
