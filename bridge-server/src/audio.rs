//! The server's audio thread: waits on the region's doorbell, runs one block through the
//! plugin, rings back. Nothing here allocates, locks or makes a system call per block
//! beyond the doorbell's wait and wake.
//!
//! Callbacks the plugin makes on this thread inside process are answered without leaving
//! the region: `audioMasterGetTime` and `audioMasterGetCurrentProcessLevel` from the block
//! request the proxy prefetched, `audioMasterProcessEvents` by appending to the output
//! event area, and anything else by posting it in the callback slot for the proxy's audio
//! thread (which is waiting for this block anyway) to answer.

use std::cell::Cell;
use std::io;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use bridge_ipc::region::{CALLBACK_BYTES, block_kind, command, region_flags, state};
use bridge_ipc::region_events::{EventReader, EventWriter, VstEventsBuilder};
use bridge_ipc::{AudioRegion, RegionCapacity};
use bridge_proto::{EffectInfo, HostCall, HostReply, decode_slice, encode_into_slice};
use vst2_abi::{EffectOpcode, HostOpcode, VstEvents, VstTimeInfo};
use vst2_host::{EventsView, Plugin, RawHostCall};

use crate::fields::time_info_from_bytes;
use crate::route::CallbackRoute;

/// How often an idle audio thread checks whether it should stop.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// How long a callback posted from inside process waits for the host's answer.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(2);
/// Parameters re-read into the value table after each block (round robin).
const PARAMETERS_REFRESHED_PER_BLOCK: usize = 64;
/// The most channels per direction (as in the host library).
const MAX_CHANNELS: usize = vst2_host::plugin::MAX_CHANNELS;

/// A running audio thread.
pub struct AudioThread {
    stop: Arc<AtomicBool>,
    region: Arc<AudioRegion>,
    handle: JoinHandle<()>,
}

impl AudioThread {
    /// Maps the region the proxy handed over as `objects` and starts serving blocks from it.
    /// With `signal_socket` (benchmarks only), blocks are signalled through that socket
    /// instead of the futex.
    pub fn start(
        objects: Vec<bridge_ipc::os::Object>,
        signal_socket: Option<&str>,
        plugin: Arc<Plugin>,
        applied_changes: Arc<AtomicU32>,
    ) -> io::Result<Self> {
        let mut region = AudioRegion::open(objects)?;
        if let Some(name) = signal_socket {
            let stream = bridge_ipc::endpoint::connect_with_retry(name, Duration::from_secs(2), &mut || Ok(()))?;
            region.set_signal(stream)?;
        }
        if region.flags() & region_flags::LOCK_MEMORY != 0 {
            // Every page resident now and for good: no block waits for a page fault or for
            // swap. Refused without CAP_IPC_LOCK when the memlock limit is too small.
            match region.lock() {
                Ok(()) => tracing::debug!("audio region locked ({} KiB)", region.total_bytes() >> 10),
                Err(error) => tracing::info!(
                    "cannot lock the audio region ({} KiB) into RAM: {error}; raise the memlock limit to avoid page faults",
                    region.total_bytes() >> 10
                ),
            }
        }
        let region = Arc::new(region);
        initialise_parameter_table(&region, &plugin);
        // Read the doorbell before the proxy hears "attached": a block it rings right after
        // must count as new to the audio thread, however late that thread starts.
        let seen = region.to_server().current();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        applied_changes.store(0, Ordering::Release);
        let thread_region = region.clone();
        let handle = thread::Builder::new().name("vstbridge-audio".into()).spawn(move || {
            let context = AudioContext::new(thread_region, plugin, seen, applied_changes);
            CONTEXT.with(|slot| slot.set(&context));
            context.run(&stop_flag);
            CONTEXT.with(|slot| slot.set(ptr::null()));
        })?;
        Ok(Self { stop, region, handle })
    }

    /// Writes the plugin's own value of parameter `index` into the region's value table (a
    /// plugin may store a set value rounded; the table must say what it says).
    pub fn publish_value(&self, plugin: &Plugin, index: i32) {
        publish_value(&self.region, plugin, index);
    }

    /// Writes the plugin's values of its first `count` parameters into the table.
    pub fn publish_values(&self, plugin: &Plugin, count: i32) {
        for index in 0..plugin.info().num_params.clamp(0, count) {
            publish_value(&self.region, plugin, index);
        }
    }

    /// Stops the thread after its current block and waits for it: the ring wakes it from
    /// its idle wait at once, so closing never waits out a poll interval. A block still
    /// running in the plugin is waited for at most `patience` (a hung plugin keeps its
    /// thread; the process is about to exit anyway).
    pub fn stop(self, patience: Duration) {
        self.stop.store(true, Ordering::Release);
        let _ = self.region.to_server().ring();
        let deadline = std::time::Instant::now() + patience;
        while !self.handle.is_finished() {
            if std::time::Instant::now() >= deadline {
                tracing::warn!("the audio thread is still inside the plugin; not waiting for it");
                return;
            }
            thread::sleep(Duration::from_micros(200));
        }
        let _ = self.handle.join();
    }
}

/// Runs the calling thread one realtime priority step below the host's `priority` (ordinary
/// for 0 or 1), or as high as `RLIMIT_RTPRIO` allows when that is lower; the priority taken.
fn take_priority_below(priority: u32) -> io::Result<u32> {
    let wanted = priority.saturating_sub(1);
    match bridge_ipc::os::set_current_realtime_priority(wanted) {
        Ok(()) => Ok(wanted),
        Err(error) => match bridge_ipc::os::realtime_priority_limit() {
            limit if limit > 0 && limit < wanted => bridge_ipc::os::set_current_realtime_priority(limit)
                .map(|()| limit)
                .map_err(|_| error),
            _ => Err(error),
        },
    }
}

/// A CPU's bit in [`AudioContext::refused_cpus`] (CPUs past 63 share the last bit).
fn cpu_bit(cpu: u32) -> u64 {
    1 << cpu.min(63)
}

/// Writes the plugin's value of parameter `index` into the region's value table, if the
/// table has room for it.
fn publish_value(region: &AudioRegion, plugin: &Plugin, index: i32) {
    if let Ok(slot) = usize::try_from(index) {
        if slot < region.capacity().max_params as usize {
            // SAFETY: `slot` is below the table's capacity; an aligned f32 store (the proxy
            // reads it with a plain load and a torn value is impossible).
            unsafe { region.param_values().add(slot).write(plugin.parameter(index)) };
        }
    }
}

/// Fills the region's parameter table with every current value, so `getParameter` on the
/// DAW's audio thread is right before the first block.
fn initialise_parameter_table(region: &AudioRegion, plugin: &Plugin) {
    let count = (plugin.info().num_params.max(0) as usize).min(region.capacity().max_params as usize);
    let table = region.param_values();
    for index in 0..count {
        // SAFETY: `index` is below the table's capacity; the proxy reads the table only after
        // the region is attached.
        unsafe { table.add(index).write(plugin.parameter(index as i32)) };
    }
}

thread_local! {
    /// The audio context of this thread while it serves blocks.
    static CONTEXT: Cell<*const AudioContext> = const { Cell::new(ptr::null()) };
    /// The time info handed to the plugin inside process.
    static TIME_INFO: Cell<VstTimeInfo> = Cell::new(VstTimeInfo::default());
}

/// Everything the audio thread needs, built once before the first block.
struct AudioContext {
    region: Arc<AudioRegion>,
    capacity: RegionCapacity,
    plugin: Arc<Plugin>,
    events: std::cell::RefCell<VstEventsBuilder>,
    /// The last `to_server` count this thread has consumed.
    seen: Cell<u32>,
    /// Output-event area state during a block.
    output_used: Cell<usize>,
    output_count: Cell<u32>,
    output_dropped: Cell<u32>,
    /// Next parameter to refresh in the value table.
    refresh_cursor: Cell<usize>,
    /// The CPU this thread is pinned to (`u32::MAX`: not pinned).
    pinned_cpu: Cell<u32>,
    /// CPUs a move to was refused (never retried): a bit per CPU, see [`cpu_bit`].
    refused_cpus: Cell<u64>,
    /// The host priority last followed (`u32::MAX`: none yet).
    host_priority: Cell<u32>,
    /// The `change_seq` of the last block whose parameter changes were applied, published
    /// for dispatcher calls that must not overtake them.
    applied_changes: Arc<AtomicU32>,
    /// At most one warning a second from this thread (a per-block problem must not flood
    /// the log or allocate on every block).
    log_limit: LogLimit,
}

/// Lets one log line through per [`LogLimit::INTERVAL`], counting the ones held back.
struct LogLimit {
    next_at: Cell<Option<std::time::Instant>>,
    suppressed: Cell<u64>,
}

impl LogLimit {
    const INTERVAL: Duration = Duration::from_secs(1);

    fn new() -> Self {
        Self {
            next_at: Cell::new(None),
            suppressed: Cell::new(0),
        }
    }

    /// `Some(lines held back since the last one)` when a line may be logged now.
    fn allow(&self) -> Option<u64> {
        let now = std::time::Instant::now();
        if self.next_at.get().is_some_and(|at| now < at) {
            self.suppressed.set(self.suppressed.get() + 1);
            return None;
        }
        self.next_at.set(Some(now + Self::INTERVAL));
        Some(self.suppressed.replace(0))
    }
}

impl AudioContext {
    fn new(region: Arc<AudioRegion>, plugin: Arc<Plugin>, seen: u32, applied_changes: Arc<AtomicU32>) -> Self {
        let capacity = region.capacity();
        let events = VstEventsBuilder::with_capacity(capacity.input_event_bytes as usize / 16);
        Self {
            region,
            capacity,
            plugin,
            events: std::cell::RefCell::new(events),
            seen: Cell::new(seen),
            output_used: Cell::new(0),
            output_count: Cell::new(0),
            output_dropped: Cell::new(0),
            refresh_cursor: Cell::new(0),
            pinned_cpu: Cell::new(u32::MAX),
            refused_cpus: Cell::new(0),
            host_priority: Cell::new(u32::MAX),
            applied_changes,
            log_limit: LogLimit::new(),
        }
    }

    fn run(&self, stop: &AtomicBool) {
        tracing::debug!(capacity = ?self.capacity, "audio thread serving");
        while !stop.load(Ordering::Acquire) {
            match self.region.to_server().wait_past(self.seen.get(), IDLE_POLL) {
                Ok(Some(now)) => self.seen.set(now),
                Ok(None) => continue,
                Err(error) if stop.load(Ordering::Acquire) => {
                    tracing::debug!("audio doorbell ended while stopping: {error}");
                    return;
                }
                Err(error) => {
                    tracing::error!("audio doorbell failed: {error}");
                    return;
                }
            }
            if stop.load(Ordering::Acquire) {
                // The ring was `stop`'s own, not a block.
                return;
            }
            let request = self.region.request();
            // SAFETY: the proxy finished writing the request before ringing.
            match unsafe { (*request).command } {
                command::PROCESS => {
                    // Outside the counted block: a move is rare, and a refused one is logged.
                    self.follow_host(request);
                    bridge_ipc::allocations::counting(|| self.process_block());
                }
                command::SHUTDOWN => return,
                _ => {}
            }
        }
    }

    fn process_block(&self) {
        let request = self.region.request();
        // SAFETY: the request is the proxy's until it rings again, which it does not do
        // before our reply; we only read it.
        let (seq, frames, kind, changes, event_count, event_bytes, change_seq) = unsafe {
            (
                (*request).block_seq,
                ((*request).frames as usize).min(self.capacity.max_frames as usize),
                (*request).kind,
                ((*request).num_param_changes as usize).min(self.capacity.max_param_changes as usize),
                (*request).num_input_events,
                (*request).input_event_bytes as usize,
                (*request).change_seq,
            )
        };
        let queue = self.region.param_changes();
        for i in 0..changes {
            // SAFETY: `i` is below the queue's capacity.
            let [index, bits] = unsafe { queue.add(i).read() };
            self.plugin.set_parameter(index as i32, f32::from_bits(bits));
            publish_value(&self.region, &self.plugin, index as i32);
        }
        self.applied_changes.store(change_seq, Ordering::Release);
        if event_count > 0 {
            // SAFETY: the input event area is the proxy's data for this block.
            let reader = unsafe {
                EventReader::new(
                    self.region.input_events(),
                    self.capacity.input_event_bytes as usize,
                    event_bytes,
                    event_count,
                )
            };
            let (list, count) = self.events.borrow_mut().build(reader);
            if count > 0 {
                // SAFETY: `list` is a well-formed VstEvents valid for the call.
                unsafe {
                    self.plugin
                        .dispatch(EffectOpcode::PROCESS_EVENTS, 0, 0, list.cast(), 0.0)
                };
            }
        }
        self.output_used.set(0);
        self.output_count.set(0);
        self.output_dropped.set(0);

        let processed = match kind {
            block_kind::DOUBLE_REPLACING => self.run_plugin::<f64>(frames, kind),
            _ => self.run_plugin::<f32>(frames, kind),
        };
        match processed {
            Ok(()) => {}
            // Logged once by the guard; this block plays as silence.
            Err(vst2_host::ProcessError::Threw) => self.silence_outputs(frames),
            Err(error) => {
                if let Some(suppressed) = self.log_limit.allow() {
                    tracing::warn!(suppressed, "block not processed: {error}");
                }
                self.silence_outputs(frames);
            }
        }
        self.refresh_parameters();

        let reply = self.region.reply();
        // SAFETY: the reply is ours until we ring.
        unsafe {
            (*reply).block_seq = seq;
            (*reply).num_output_events = self.output_count.get();
            (*reply).output_event_bytes = self.output_used.get() as u32;
            (*reply).dropped_output_events = self.output_dropped.get();
            (*reply).server_allocations = bridge_ipc::allocations::total();
            (*reply).server_cpu = self.running_cpu();
            (*reply).state = state::DONE;
        }
        if let Err(error) = self.region.to_proxy().ring() {
            if let Some(suppressed) = self.log_limit.allow() {
                tracing::error!(suppressed, "cannot wake the proxy: {error}");
            }
        }
    }

    /// Follows the host's audio thread, when it changed: to its CPU, so the two hand each
    /// block over on one CPU (one system call per move, none per block), and to one step
    /// below its realtime priority, so the plugin is not preempted by ordinary work while the
    /// host waits for it, yet a plugin that spins can never starve the host's thread.
    fn follow_host(&self, request: *mut bridge_ipc::region::BlockRequest) {
        // SAFETY: the proxy wrote the request before ringing.
        let (cpu, priority) = unsafe { ((*request).host_cpu, (*request).host_priority) };
        if cpu != u32::MAX && cpu != self.pinned_cpu.get() && !self.refused(cpu) {
            match bridge_ipc::os::pin_current_thread(cpu) {
                Ok(()) => self.pinned_cpu.set(cpu),
                Err(error) => {
                    // Never asked again, so said once per CPU (a cpuset that excludes it);
                    // the thread keeps its old affinity, so its CPU is asked from now on.
                    tracing::info!("cannot move the audio thread to CPU {cpu}: {error}");
                    self.refused_cpus.set(self.refused_cpus.get() | cpu_bit(cpu));
                    self.pinned_cpu.set(u32::MAX);
                }
            }
        }
        if priority != u32::MAX && priority != self.host_priority.get() {
            self.host_priority.set(priority);
            match take_priority_below(priority) {
                Ok(own) => tracing::debug!("audio thread realtime priority {own} (host {priority})"),
                Err(error) => tracing::info!(
                    "cannot give the audio thread a realtime priority below the host's {priority}: {error}"
                ),
            }
        }
    }

    /// Whether a move to `cpu` was refused before.
    fn refused(&self, cpu: u32) -> bool {
        self.refused_cpus.get() & cpu_bit(cpu) != 0
    }

    /// The CPU this thread runs on: the one it is pinned to, else asked (cheap, but not
    /// free on every target).
    fn running_cpu(&self) -> u32 {
        match self.pinned_cpu.get() {
            u32::MAX => bridge_ipc::os::current_cpu().unwrap_or(u32::MAX),
            cpu => cpu,
        }
    }

    /// Runs the plugin over the region's channels as samples of `T`.
    fn run_plugin<T: Sample>(&self, frames: usize, kind: u32) -> Result<(), vst2_host::ProcessError> {
        let info = self.plugin.info();
        let inputs_used = (info.num_inputs.max(0) as usize)
            .min(self.capacity.max_inputs as usize)
            .min(MAX_CHANNELS);
        let outputs_used = (info.num_outputs.max(0) as usize)
            .min(self.capacity.max_outputs as usize)
            .min(MAX_CHANNELS);
        let inputs: [&[T]; MAX_CHANNELS] =
            std::array::from_fn(|channel| match self.region.input_channel::<T>(channel) {
                // SAFETY: channel buffers hold `max_frames` samples and `frames` is clamped to
                // it; the proxy does not touch them until we reply.
                Some(pointer) if channel < inputs_used => unsafe { std::slice::from_raw_parts(pointer, frames) },
                _ => &[],
            });
        let mut outputs: [&mut [T]; MAX_CHANNELS] =
            std::array::from_fn(|channel| match self.region.output_channel::<T>(channel) {
                // SAFETY: as above; input and output channels never overlap.
                Some(pointer) if channel < outputs_used => unsafe { std::slice::from_raw_parts_mut(pointer, frames) },
                _ => &mut [],
            });
        T::process(
            &self.plugin,
            kind,
            &inputs[..inputs_used],
            &mut outputs[..outputs_used],
            frames,
        )
    }

    fn silence_outputs(&self, frames: usize) {
        for channel in 0..self.capacity.max_outputs as usize {
            if let Some(pointer) = self.region.output_channel::<u8>(channel) {
                // SAFETY: a channel buffer holds `max_frames × 8` bytes.
                unsafe { ptr::write_bytes(pointer, 0, frames * 8) };
            }
        }
    }

    /// Re-reads a window of parameters into the region's value table.
    fn refresh_parameters(&self) {
        let count = (self.plugin.info().num_params.max(0) as usize).min(self.capacity.max_params as usize);
        if count == 0 {
            return;
        }
        let table = self.region.param_values();
        let start = self.refresh_cursor.get() % count;
        for offset in 0..PARAMETERS_REFRESHED_PER_BLOCK.min(count) {
            let index = (start + offset) % count;
            // SAFETY: `index` is below the table's capacity.
            unsafe { table.add(index).write(self.plugin.parameter(index as i32)) };
        }
        self.refresh_cursor.set(start + PARAMETERS_REFRESHED_PER_BLOCK);
    }

    /// Appends events the plugin sends during process to the output area.
    fn push_output_events(&self, events: &EventsView<'_>) -> isize {
        // SAFETY: the output area is ours during the block.
        let mut writer = unsafe {
            EventWriter::resume(
                self.region.output_events(),
                self.capacity.output_event_bytes as usize,
                self.output_used.get(),
                self.output_count.get(),
            )
        };
        for event in events.iter() {
            match event {
                vst2_host::Event::Midi(midi) => {
                    writer.push_midi(&midi);
                }
                vst2_host::Event::Sysex {
                    delta_frames,
                    flags,
                    data,
                } => {
                    writer.push_sysex(delta_frames, flags, data);
                }
                vst2_host::Event::Other { .. } => {}
            }
        }
        self.output_used.set(writer.used());
        self.output_count.set(writer.count());
        self.output_dropped.set(self.output_dropped.get() + writer.dropped());
        if writer.dropped() > 0 {
            if let Some(suppressed) = self.log_limit.allow() {
                tracing::warn!(
                    dropped = writer.dropped(),
                    suppressed,
                    "output events did not fit the region"
                );
            }
        }
        1
    }
}

impl CallbackRoute for AudioContext {
    /// Posts the callback in the region's slot and waits for the proxy's audio thread (which
    /// is waiting for this block anyway) to answer it, so the DAW sees it on its audio
    /// thread. Encoding into and decoding from a stack buffer allocates nothing.
    fn call_host(&self, call: HostCall) -> Option<HostReply> {
        let reply = self.region.reply();
        let mut buffer = [0u8; CALLBACK_BYTES];
        let length = match encode_into_slice(&call, &mut buffer) {
            Ok(length) => length,
            Err(error) => {
                if let Some(suppressed) = self.log_limit.allow() {
                    tracing::warn!(
                        opcode = call.opcode,
                        suppressed,
                        "a callback inside process does not fit the slot: {error}"
                    );
                }
                return None;
            }
        };
        // SAFETY: the reply and its slot are ours until we ring; `length` fits the slot.
        unsafe {
            let slot = &raw mut (*reply).callback;
            ptr::copy_nonoverlapping(buffer.as_ptr(), (&raw mut (*slot).bytes).cast::<u8>(), length);
            (*slot).len = length as u32;
            (*reply).state = state::CALLBACK;
        }
        let to_server = self.region.to_server();
        self.region.to_proxy().ring().ok()?;
        match to_server.wait_past(self.seen.get(), CALLBACK_TIMEOUT) {
            Ok(Some(now)) => self.seen.set(now),
            _ => {
                if let Some(suppressed) = self.log_limit.allow() {
                    tracing::warn!(
                        opcode = call.opcode,
                        suppressed,
                        "no answer to a callback made inside process"
                    );
                }
                return None;
            }
        }
        // SAFETY: the proxy wrote the answer before ringing; the length is clamped to the
        // slot, and the bytes are copied out before they are decoded.
        let length = unsafe {
            let slot = &raw const (*reply).callback;
            let length = ((*slot).len as usize).min(CALLBACK_BYTES);
            ptr::copy_nonoverlapping((&raw const (*slot).bytes).cast::<u8>(), buffer.as_mut_ptr(), length);
            length
        };
        decode_slice(&buffer[..length]).ok()
    }

    fn effect_info(&self) -> Option<EffectInfo> {
        Some(crate::fields::effect_info(&self.plugin))
    }
}

/// Runs `body` with the callback slot as the route, if the calling thread is the audio
/// thread inside a block; `None` elsewhere.
pub fn with_slot_route<R>(body: impl FnOnce(&dyn CallbackRoute) -> R) -> Option<R> {
    let context = CONTEXT.with(Cell::get);
    if context.is_null() {
        return None;
    }
    // SAFETY: set only while `AudioContext::run` is on this thread's stack.
    Some(body(unsafe { &*context }))
}

/// Answers a callback made on the audio thread inside process from the block's own data
/// (transport, process level, MIDI output); `None` for the rest and on other threads.
pub fn answer_on_audio_thread(call: &RawHostCall) -> Option<isize> {
    let context = CONTEXT.with(Cell::get);
    if context.is_null() {
        return None;
    }
    // SAFETY: set only while `AudioContext::run` is on this thread's stack.
    let context = unsafe { &*context };
    let request = context.region.request();
    Some(match call.opcode {
        HostOpcode::GET_TIME => {
            // SAFETY: the request is the proxy's data for this block; only read.
            if unsafe { (*request).time_info_valid } == 0 {
                0
            } else {
                // SAFETY: as above.
                let info = time_info_from_bytes(unsafe { &(*request).time_info });
                TIME_INFO.with(|slot| {
                    slot.set(info);
                    slot.as_ptr() as isize
                })
            }
        }
        // SAFETY: as above.
        HostOpcode::GET_CURRENT_PROCESS_LEVEL => unsafe { (*request).process_level as isize },
        HostOpcode::PROCESS_EVENTS => {
            // SAFETY: the plugin owns a valid VstEvents (or NULL) for the call.
            let view = unsafe { EventsView::new((call.ptr as *const VstEvents).cast()) };
            context.push_output_events(&view)
        }
        HostOpcode::AUTOMATE => {
            if (0..context.capacity.max_params as i32).contains(&call.index) {
                // SAFETY: the index is below the table's capacity.
                unsafe { context.region.param_values().add(call.index as usize).write(call.opt) };
            }
            // The DAW hears of it too: through the slot (`with_slot_route`).
            return None;
        }
        _ => return None,
    })
}

/// The two sample types a block can carry.
trait Sample: Copy + 'static {
    fn process(
        plugin: &Plugin,
        kind: u32,
        inputs: &[&[Self]],
        outputs: &mut [&mut [Self]],
        frames: usize,
    ) -> Result<(), vst2_host::ProcessError>;
}

impl Sample for f32 {
    fn process(
        plugin: &Plugin,
        kind: u32,
        inputs: &[&[f32]],
        outputs: &mut [&mut [f32]],
        frames: usize,
    ) -> Result<(), vst2_host::ProcessError> {
        if kind == block_kind::ACCUMULATING {
            plugin.process_accumulating(inputs, outputs, frames)
        } else {
            plugin.process_replacing(inputs, outputs, frames)
        }
    }
}

impl Sample for f64 {
    fn process(
        plugin: &Plugin,
        _kind: u32,
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
        frames: usize,
    ) -> Result<(), vst2_host::ProcessError> {
        plugin.process_double_replacing(inputs, outputs, frames)
    }
}
