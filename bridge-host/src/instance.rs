//! One bridged plugin instance on the proxy side: its health, the current server session
//! (see `session`), every call's budget, the `AEffect` the DAW holds (kept in step with the
//! real one, clamped to the caps), what the recorder learns from each call, and bounded
//! teardown.
//!
//! Threads: every DAW thread that calls into the instance gets its own connection (the
//! creating thread gets the main one), so the server mirrors it with a thread of its own
//! and re-entrant calls stay on the threads that made them. One proxy thread serves the
//! callbacks the plugin makes from its own threads, and a watchdog thread notices a dead or
//! hung or stopped server, restarts it and asks for state snapshots (see `watchdog`).

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

use bridge_ipc::CallBudget;
use bridge_ipc::endpoint;
use bridge_ipc::os::ObjectRef;
use bridge_ipc::server_process::ServerCommand;
use bridge_proto::{ChannelRole, EffectInfo, PendingChanges, Request, Response};
use vst2_abi::{EffectOpcode, HostCallbackProc, HostOpcode};
use vst2_host::Architecture;

use crate::audio::{AudioLink, ProxyAudio};
use crate::config::{self, BridgeConfig};
use crate::effect::{OwnedEffect, SharedEffectInfo};
use crate::launch;
use crate::recorder::Recorder;
pub use crate::session::Session;
pub use crate::sync::lock;

/// How long closing waits for a watchdog busy restarting the plugin.
pub const WATCHDOG_JOIN_PATIENCE: Duration = Duration::from_millis(200);
/// How long closing waits for a healthy server to exit by itself.
const SERVER_EXIT_PATIENCE: Duration = Duration::from_secs(1);
/// A server that has not beaten for this long is taken as stopped when the DAW closes it
/// (it beats every 20 ms; the watchdog looks every 20 ms).
const STOPPED_AFTER: Duration = Duration::from_millis(150);
const NOTICE_UPDATE_DISPLAY: u8 = 1;
const NOTICE_IO_CHANGED: u8 = 2;

/// A call's wall-clock ceiling, in multiples of its budget: the DAW may take its time
/// answering callbacks, but no call lasts longer than this, whatever happens inside it.
pub const CALL_CEILING_FACTOR: u32 = 4;

/// Why an instance could not be created (logged; the DAW gets NULL).
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The configuration is incomplete or wrong.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The plugin file is unusable.
    #[error("{0}")]
    Plugin(String),
    /// Talking to the server failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server could not load the plugin.
    #[error("the server could not load the plugin: {0}")]
    Refused(String),
}

pub use vstbridge_replies::ReturnedData;

/// Where an instance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Health {
    /// Its server answers.
    Alive = 0,
    /// Its server is gone; the watchdog may bring it back.
    Dead = 1,
    /// Its server is gone for good (restarts off or used up, or the instance is closing).
    Gone = 2,
}

/// A bridged instance.
pub struct ProxyInstance {
    /// Our `AEffect`, owned by this instance (freed on close).
    pub effect: OwnedEffect,
    /// The DAW's callback.
    pub host: Option<HostCallbackProc>,
    /// What is bridged and how.
    pub config: BridgeConfig,
    /// How its servers are started.
    server: ServerCommand,
    /// Whether they are Windows servers under Wine.
    under_wine: bool,
    health: AtomicU8,
    session: RwLock<Option<Arc<Session>>>,
    /// The audio path.
    pub audio: ProxyAudio,
    /// Pointers handed to the DAW.
    pub returned: Mutex<ReturnedData>,
    /// The last fields the plugin reported.
    pub effect_info: SharedEffectInfo,
    /// What a restart replays and what a dead plugin answers, learnt from every call.
    pub recorder: Mutex<Recorder>,
    /// Restarts so far.
    pub restarts: AtomicU32,
    /// When the instance was created (the clock of `last_heartbeat_ms`).
    created: std::time::Instant,
    /// When the watchdog last saw the server's heartbeat move, in ms since `created`.
    last_heartbeat_ms: std::sync::atomic::AtomicU64,
    /// Notices for the DAW's next call (see `notify_daw_later`).
    pending_notices: AtomicU8,
    /// Whether the server had failed when the DAW asked to close.
    failed_before_close: std::sync::atomic::AtomicBool,
    /// The DAW thread that created the instance: its thread for GUI-thread calls, and the
    /// one snapshots ride on (never concurrently with its own effOpen/effClose).
    creator_thread: ThreadId,
    /// The thread bringing a restarted server back to state (its calls go through while
    /// the instance still counts as dead to everyone else).
    restoring_thread: Mutex<Option<ThreadId>>,
    watchdog: Mutex<Option<JoinHandle<()>>>,
    /// The window the editor is embedded in while it is open (see `editor_window`).
    pub(crate) editor_window: Mutex<Option<crate::editor_window::EditorWindow>>,
    /// The DAW's window, while the editor is open straight in it (no window of ours:
    /// Windows), for a restart to open it there again.
    pub(crate) editor_parent: Mutex<Option<u64>>,
}

// SAFETY: `effect` owns our heap AEffect, which the DAW may read from any thread and which
// we update only with plain integer stores (as plugins do); everything else is Sync.
unsafe impl Send for ProxyInstance {}
// SAFETY: as above.
unsafe impl Sync for ProxyInstance {}

impl ProxyInstance {
    /// Starts a server for the configured plugin and creates the instance around `effect`
    /// (the caller starts its watchdog). On success the `AEffect` is ready for the DAW.
    pub fn create(
        host: Option<HostCallbackProc>,
        proxy_path: Option<&Path>,
        effect: OwnedEffect,
    ) -> Result<Arc<Self>, CreateError> {
        let mut config = config::load(proxy_path)?;
        let (arch, format) = launch::plugin_architecture(&config).map_err(CreateError::Plugin)?;
        let under_wine = bridge_ipc::wine_launch::runs_under_wine(format);
        if let Some(group) = &config.group
            && (under_wine || !cfg!(target_os = "linux"))
        {
            tracing::warn!(
                group,
                "groups are for Linux plugins on Linux so far; this one runs in a server of its own"
            );
            config.group = None;
        }
        let server_exe = config::find_server(arch, under_wine, &config, proxy_path)?;
        let server = launch::server_command(&config, arch, under_wine, &server_exe).map_err(CreateError::Plugin)?;
        tracing::info!(plugin = %config.plugin.display(), %arch, server = %server_exe.display(), under_wine, "bridging");
        let instance = Arc::new(Self {
            effect,
            host,
            config,
            server,
            under_wine,
            health: AtomicU8::new(Health::Alive as u8),
            session: RwLock::new(None),
            audio: ProxyAudio::default(),
            returned: Mutex::new(ReturnedData::default()),
            effect_info: SharedEffectInfo::default(),
            recorder: Mutex::new(Recorder::default()),
            restarts: AtomicU32::new(0),
            created: std::time::Instant::now(),
            last_heartbeat_ms: std::sync::atomic::AtomicU64::new(0),
            pending_notices: AtomicU8::new(0),
            failed_before_close: std::sync::atomic::AtomicBool::new(false),
            creator_thread: std::thread::current().id(),
            restoring_thread: Mutex::new(None),
            watchdog: Mutex::new(None),
            editor_window: Mutex::new(None),
            editor_parent: Mutex::new(None),
        });
        let mut started = instance.start_session();
        if let Err(CreateError::Io(error)) = &started {
            // The server died or froze while loading (a plugin that refuses to load says
            // so and is not asked twice): one more server, as a restart would.
            tracing::warn!(plugin = %instance.config.plugin.display(), "the server failed while loading ({error}); starting another");
            started = instance.start_session();
        }
        if let Err(error) = started {
            // SAFETY: the DAW never received this AEffect.
            unsafe { instance.effect.free() };
            return Err(error);
        }
        // What the DAW will see first; it may call process before resuming (some do).
        instance.audio.latch_daw_channels(instance.effect.channel_counts());
        Ok(instance)
    }

    /// Starts a server, instantiates the plugin in it, and makes it the current session.
    /// On failure nothing is left running.
    pub fn start_session(self: &Arc<Self>) -> Result<(), CreateError> {
        let (session, main) = Session::start(
            &self.server,
            self.under_wine,
            self.config.group.as_deref(),
            self.config.policy.slow_call_timeout,
        )?;
        let session = Arc::new(session);
        let plugin_path = self.config.plugin.to_string_lossy().into_owned();
        let slow = self.config.policy.slow_call_timeout;
        let budget = CallBudget {
            budget: slow,
            ceiling: slow * CALL_CEILING_FACTOR,
        };
        // The watchdog does not watch a session before it is current.
        let (_, answer) = session.watched(self.config.policy.hang_timeout, || {
            main.call_returning(Request::Instantiate { plugin_path }, &[], Some(budget), &mut |nested| {
                self.serve_request(nested)
            })
        });
        let info = match answer {
            Ok(Response::Instantiated(info)) => info,
            Ok(Response::Failed(reason)) => {
                session.end(Duration::from_secs(1));
                return Err(CreateError::Refused(reason));
            }
            Ok(other) => {
                session.end(Duration::ZERO);
                return Err(CreateError::Refused(format!("unexpected answer {other:?}")));
            }
            Err(error) => {
                session.end(Duration::ZERO);
                return Err(error.into());
            }
        };
        self.apply_effect_info(&info);
        let (callbacks, _) = endpoint::open_channel(
            &session.address,
            session.token,
            ChannelRole::Callbacks,
            Architecture::current().name(),
            self.config.policy.call_timeout,
        )?;
        // Callbacks wait as long as the plugin's thread keeps the connection quiet.
        callbacks.set_read_timeout(None)?;
        let instance = Arc::downgrade(self);
        let handle = std::thread::Builder::new()
            .name("vstbridge-callbacks".into())
            .spawn(move || {
                let serve = &mut |request| match instance.upgrade() {
                    Some(instance) => instance.serve_request(request),
                    None => Response::Failed("instance closed".into()),
                };
                if let Err(error) = callbacks.serve(serve) {
                    tracing::debug!("callback connection ended: {error}");
                }
            })?;
        *lock(&session.callback_thread) = Some(handle);
        // It has just answered: alive now, however long starting took (a server under a
        // cold Wine takes most of a second), whenever the watchdog next looks.
        self.saw_heartbeat();
        *self.session.write().unwrap_or_else(PoisonError::into_inner) = Some(session);
        Ok(())
    }

    /// Lets the calling thread talk to a new session while the instance still counts as
    /// dead (the watchdog replaying state).
    pub fn begin_restore(&self) {
        *lock(&self.restoring_thread) = Some(std::thread::current().id());
    }

    /// Ends [`ProxyInstance::begin_restore`].
    pub fn end_restore(&self) {
        *lock(&self.restoring_thread) = None;
    }

    /// Whether the calling thread is restoring a restarted server.
    pub fn is_restoring_thread(&self) -> bool {
        *lock(&self.restoring_thread) == Some(std::thread::current().id())
    }

    /// Dead → alive after a restart; `false` if the instance was closed meanwhile.
    pub fn revive(&self) -> bool {
        self.health
            .compare_exchange(
                Health::Dead as u8,
                Health::Alive as u8,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Takes the last parameter values the dead server left in the audio region's table
    /// into the mirror: they are newer than any snapshot.
    pub fn absorb_parameter_table(&self) {
        let count = self.effect_info.load().num_params;
        if let Some(values) = self.audio.parameter_table(count) {
            let mut recorder = lock(&self.recorder);
            for (index, value) in values.into_iter().enumerate() {
                recorder.state.record_parameter(index as i32, value);
            }
        }
    }

    /// The current session, if any.
    pub fn session(&self) -> Option<Arc<Session>> {
        self.session.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Where the instance stands.
    pub fn health(&self) -> Health {
        match self.health.load(Ordering::Acquire) {
            0 => Health::Alive,
            1 => Health::Dead,
            _ => Health::Gone,
        }
    }

    /// Whether the plugin cannot be reached right now.
    pub fn is_dead(&self) -> bool {
        self.health() != Health::Alive
    }

    /// Marks the instance dead, kills its server (a hung one would otherwise linger), wakes
    /// the audio thread if it waits for a block, and says why, once per failure.
    pub fn mark_dead(&self, why: &str) {
        if self
            .health
            .compare_exchange(
                Health::Alive as u8,
                Health::Dead as u8,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            tracing::error!(plugin = %self.config.plugin.display(), "the plugin failed ({why}); it plays silence until it is restarted");
            if let Some(session) = self.session() {
                session.kill();
            }
            self.audio.wake();
        }
    }

    /// A call failed: the instance is dead, or, on the restoring thread, the server is killed
    /// so the restart fails cleanly.
    fn fail(&self, why: &str) {
        if self.is_restoring_thread() {
            if let Some(session) = self.session() {
                session.kill();
            }
        } else {
            self.mark_dead(why);
        }
    }

    /// Marks the instance gone for good.
    pub fn mark_gone(&self) {
        self.health.store(Health::Gone as u8, Ordering::Release);
        self.audio.wake();
    }

    /// Sends `request` on this thread's connection within `timeout`, serving nested
    /// callbacks meanwhile. A broken connection or a timeout marks the instance dead.
    pub fn call_within(&self, request: Request, timeout: Duration) -> Option<Response> {
        self.exchange(request, timeout).1
    }

    /// [`ProxyInstance::call_within`], handing the request back with the answer.
    fn exchange(&self, request: Request, timeout: Duration) -> (Request, Option<Response>) {
        self.exchange_with_objects(request, &[], timeout)
    }

    /// [`ProxyInstance::exchange`], with a file descriptor following the request.
    fn exchange_with_objects(
        &self,
        request: Request,
        objects: &[ObjectRef<'_>],
        timeout: Duration,
    ) -> (Request, Option<Response>) {
        if self.health() == Health::Gone || (self.is_dead() && !self.is_restoring_thread()) {
            return (request, None);
        }
        let Some(session) = self.session() else {
            return (request, None);
        };
        // One budget for connecting (on a thread's first call) and answering together: the
        // server's time counts against it, the DAW's own time answering nested callbacks
        // only against the ceiling.
        let started = std::time::Instant::now();
        let channel = session.channel(timeout);
        let budget = CallBudget {
            budget: timeout.saturating_sub(started.elapsed()).max(Duration::from_millis(1)),
            ceiling: timeout * CALL_CEILING_FACTOR,
        };
        let (request, result) = match channel {
            Ok(channel) => {
                channel.call_returning(request, objects, Some(budget), &mut |nested| self.serve_request(nested))
            }
            Err(error) => (request, Err(error)),
        };
        let reply = match result {
            Ok(Response::Failed(reason)) => {
                tracing::warn!("the server refused a request: {reason}");
                None
            }
            Ok(response) => Some(response),
            Err(error) if matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                self.fail(&format!("no answer within {timeout:?}: the plugin hangs"));
                None
            }
            Err(error) => {
                self.fail(&error.to_string());
                None
            }
        };
        (request, reply)
    }

    /// The changes the plugin must see before a call this thread makes now (none for the
    /// restoring thread: what the DAW did while the plugin was dead comes after the replay).
    pub fn pending_for_call(&self) -> PendingChanges {
        if self.is_restoring_thread() {
            return PendingChanges::default();
        }
        self.audio.parameters.take_pending()
    }

    /// Lets the recorder learn from a call (see [`Recorder::observe`]).
    pub fn observe(&self, request: &Request, reply: Option<&Response>) {
        if lock(&self.recorder).observe(request, reply).chunk {
            // The chunk holds every change that reached the plugin through blocks.
            self.audio.parameters.forget_touched();
        }
    }

    /// Forwards a call the DAW made: the recorder learns what was asked, the call travels
    /// (unless the plugin is dead) with the timeout for its kind, and the recorder learns
    /// the answer.
    pub fn forward(&self, request: Request, timeout: Duration) -> Option<Response> {
        self.observe(&request, None);
        let (request, reply) = self.exchange(request, timeout);
        if let Some(reply) = &reply {
            self.observe(&request, Some(reply));
        }
        reply
    }

    /// Sends every queued `setParameter` (and `extra`, last) to the plugin now; while dead
    /// they are only recorded, for the restart.
    pub fn send_parameters(&self, extra: Option<(i32, f32)>) {
        let mut pending = self.pending_for_call();
        pending.changes.extend(extra);
        if !pending.changes.is_empty() {
            self.forward(Request::SetParameters(pending), self.config.policy.call_timeout);
        }
    }

    /// Whether the calling thread is the DAW thread that created the instance (its GUI or
    /// main thread in every host we know).
    pub fn on_creator_thread(&self) -> bool {
        std::thread::current().id() == self.creator_thread
    }

    /// Whether the call this thread is about to make should bring a state snapshot back:
    /// one is wanted, and this is the DAW thread that created the instance (the plugin's
    /// GUI thread, which also opens and closes it, so a snapshot never overlaps those).
    pub fn snapshot_due_on_this_thread(&self) -> bool {
        self.on_creator_thread() && std::mem::take(&mut lock(&self.recorder).state.snapshot_wanted)
    }

    /// Takes everything the DAW set that the recorder does not hold yet: queued changes, and
    /// changes that reached the plugin through blocks since the last chunk (the server is
    /// dead; the region's table still holds their values).
    pub fn absorb_daw_changes(&self) {
        let touched = self.audio.touched_parameters();
        let pending = self.audio.parameters.take_pending();
        let mut recorder = lock(&self.recorder);
        for (index, value) in touched.into_iter().chain(pending.changes) {
            recorder.state.record_parameter_change(index, value);
        }
    }

    /// Sends a request with the ordinary call timeout.
    pub fn call(&self, request: Request) -> Option<Response> {
        self.call_within(request, self.config.policy.call_timeout)
    }

    /// The timeout for a dispatcher opcode.
    pub fn timeout_for(&self, opcode: EffectOpcode) -> Duration {
        let slow = matches!(
            opcode,
            EffectOpcode::OPEN
                | EffectOpcode::CLOSE
                | EffectOpcode::GET_CHUNK
                | EffectOpcode::SET_CHUNK
                | EffectOpcode::MAINS_CHANGED
                | EffectOpcode::EDIT_OPEN
                | EffectOpcode::EDIT_CLOSE
                | EffectOpcode::BEGIN_LOAD_BANK
                | EffectOpcode::BEGIN_LOAD_PROGRAM
                | EffectOpcode::SET_SAMPLE_RATE
                | EffectOpcode::SET_BLOCK_SIZE
        );
        if slow {
            self.config.policy.slow_call_timeout
        } else {
            self.config.policy.call_timeout
        }
    }

    /// Answers a request the server sent us (a plugin callback).
    pub fn serve_request(&self, request: Request) -> Response {
        match request {
            Request::HostCall(call) => {
                let response = Response::HostAnswered(self.answer_host_call(&call));
                self.observe(&Request::HostCall(call), Some(&response));
                response
            }
            other => {
                tracing::warn!("the server sent a request only the proxy may send: {other:?}");
                Response::Failed("unexpected request".into())
            }
        }
    }

    /// Copies the plugin's fields into our `AEffect`.
    pub fn apply_effect_info(&self, info: &EffectInfo) {
        // The server's claim, clamped: no count beyond the caps reaches the DAW or sizes
        // anything here.
        let info = &info.within_limits();
        self.effect_info.store(info);
        self.effect.mirror(info);
    }

    /// Ends the instance: stops the watchdog and the server, each within a bound. Returns
    /// `false` if the watchdog was still busy (a restart in progress) after
    /// [`WATCHDOG_JOIN_PATIENCE`]: it then still holds the instance, and the caller must not
    /// free what it may touch.
    pub fn shut_down(&self) -> bool {
        self.mark_gone();
        let mut watchdog_done = true;
        if let Some(handle) = lock(&self.watchdog).take() {
            // Wake it from its tick so it sees "gone" now, not up to a tick later.
            handle.thread().unpark();
            let deadline = std::time::Instant::now() + WATCHDOG_JOIN_PATIENCE;
            while !handle.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            if handle.is_finished() {
                let _ = handle.join();
            } else {
                tracing::warn!("the watchdog is still restarting the plugin; closing without waiting for it");
                watchdog_done = false;
            }
        }
        self.audio.detach();
        // A DAW that closes the instance with the editor open still has its window.
        lock(&self.editor_window).take();
        lock(&self.editor_parent).take();
        if let Some(session) = self.session.write().unwrap_or_else(PoisonError::into_inner).take() {
            // A healthy server leaves by itself once its connections close; a dead one is
            // only reaped.
            session.end(if self.was_dead_at_close() {
                Duration::ZERO
            } else {
                SERVER_EXIT_PATIENCE
            });
        }
        watchdog_done
    }

    /// Whether the server had failed before the close began.
    fn was_dead_at_close(&self) -> bool {
        self.failed_before_close.load(Ordering::Acquire)
    }

    /// Records the heartbeat moving (the watchdog calls this).
    pub fn saw_heartbeat(&self) {
        self.last_heartbeat_ms
            .store(self.created.elapsed().as_millis() as u64, Ordering::Release);
    }

    /// Whether the server has not beaten for a while: stopped or frozen, not worth a call.
    pub fn server_seems_stopped(&self) -> bool {
        let last = Duration::from_millis(self.last_heartbeat_ms.load(Ordering::Acquire));
        self.created.elapsed().saturating_sub(last) > STOPPED_AFTER
    }

    /// Asks for `audioMasterUpdateDisplay` (and `audioMasterIOChanged`) on the DAW's next
    /// call into the proxy, on the DAW's own thread (the watchdog never calls the DAW).
    pub fn notify_daw_later(&self, io_changed: bool) {
        self.pending_notices.fetch_or(
            NOTICE_UPDATE_DISPLAY | if io_changed { NOTICE_IO_CHANGED } else { 0 },
            Ordering::AcqRel,
        );
    }

    /// Delivers the notices [`ProxyInstance::notify_daw_later`] asked for, on this thread.
    pub fn deliver_notices(&self) {
        let notices = self.pending_notices.swap(0, Ordering::AcqRel);
        // SAFETY: neither opcode takes a pointer.
        unsafe {
            if notices & NOTICE_UPDATE_DISPLAY != 0 {
                self.call_daw(false, HostOpcode::UPDATE_DISPLAY, 0, 0, std::ptr::null_mut(), 0.0);
            }
            if notices & NOTICE_IO_CHANGED != 0 {
                self.call_daw(false, HostOpcode::IO_CHANGED, 0, 0, std::ptr::null_mut(), 0.0);
            }
        }
    }

    /// Notes whether the server had failed when the DAW asked to close.
    pub fn begin_close(&self) {
        if !self.is_dead() && self.server_seems_stopped() {
            self.mark_dead("the server is stopped; closing without it");
        }
        self.failed_before_close.store(self.is_dead(), Ordering::Release);
    }

    /// Ends the current session after a failure (the server is already dead or killed).
    pub fn end_session(&self) {
        self.audio.detach();
        if let Some(session) = self.session.write().unwrap_or_else(PoisonError::into_inner).take() {
            session.end(Duration::ZERO);
        }
    }

    /// Registers the watchdog thread so `shut_down` can wait for it.
    pub fn set_watchdog(&self, handle: JoinHandle<()>) {
        *lock(&self.watchdog) = Some(handle);
    }
}

impl AudioLink for ProxyInstance {
    fn is_dead(&self) -> bool {
        ProxyInstance::is_dead(self)
    }

    fn policy(&self) -> &crate::config::FailurePolicy {
        &self.config.policy
    }

    fn effect(&self) -> &OwnedEffect {
        &self.effect
    }

    fn effect_info(&self) -> EffectInfo {
        self.effect_info.load()
    }

    fn under_wine(&self) -> bool {
        self.under_wine
    }

    fn wake(&self) -> bridge_proto::WakeMethod {
        self.session()
            .map_or(bridge_proto::WakeMethod::Native, |session| session.wake())
    }

    fn request(&self, request: Request, objects: &[ObjectRef<'_>]) -> Option<Response> {
        self.exchange_with_objects(request, objects, self.config.policy.call_timeout)
            .1
    }

    fn answer_callback(&self, call: &bridge_proto::HostCall) -> bridge_proto::HostReply {
        if HostOpcode(call.opcode) == HostOpcode::AUTOMATE {
            // The recorder is not for the audio thread: the change is marked for the
            // restart instead (its value is in the region's table).
            self.audio.parameters.touch(call.index);
        }
        self.answer_host_call(call)
    }

    unsafe fn call_daw(
        &self,
        opcode: HostOpcode,
        index: i32,
        value: isize,
        ptr: *mut std::ffi::c_void,
        opt: f32,
    ) -> isize {
        // SAFETY: forwarded contract.
        unsafe { ProxyInstance::call_daw(self, false, opcode, index, value, ptr, opt) }
    }
}
