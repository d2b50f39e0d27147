//! The server's shared state and how it serves requests: one [`Server`] per process, one
//! plugin instance per server. Which connection a plugin callback travels on is decided
//! here ([`Server::call_host`]): the connection the current thread is serving (so the host
//! answers on the thread that made the outer call), else the callbacks connection.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use bridge_ipc::Channel;
use bridge_ipc::endpoint;
use bridge_ipc::endpoint::Listener;
use bridge_proto::{ChannelRole, EffectInfo, HostCall, HostReply, PendingChanges, Request, Response};
use vst2_abi::EffectOpcode;
use vst2_host::{Architecture, Plugin};

use crate::audio::AudioThread;
use crate::dispatch;
use crate::editor_idle::EditorIdle;
use crate::fields::effect_info;
use crate::forward::ForwardingHost;
use crate::route::CallbackRoute;

thread_local! {
    /// The connection this thread is serving, if any.
    static ROUTE: RefCell<Option<Arc<Channel>>> = const { RefCell::new(None) };
}

/// Parameters whose values are republished into the audio region's table after every
/// dispatcher call (the audio thread refreshes the rest a window per block).
const TABLE_REFRESH_AFTER_CALL: i32 = 4096;
/// Handshakes running at once, at most.
const MAX_HANDSHAKES: usize = 32;
/// How long the server waits for the proxy's main connection after starting.
const MAIN_CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a call waits for the audio thread to apply the changes of a block that left
/// the proxy before it (the block applies them first thing, so this is only a bound).
const BLOCK_CHANGES_WAIT: Duration = Duration::from_millis(200);
/// How long closing waits for a block still inside the plugin.
const AUDIO_STOP_PATIENCE: Duration = Duration::from_millis(500);

/// The state of one server process.
pub struct Server {
    token: [u8; 16],
    plugin: OnceLock<Arc<Plugin>>,
    callbacks: Mutex<Option<Channel>>,
    audio: Mutex<Option<AudioThread>>,
    /// The `change_seq` of the last audio block whose parameter changes were applied.
    applied_block_changes: Arc<AtomicU32>,
    /// An open editor, idled by its thread when the DAW does not.
    editor_idle: EditorIdle,
    /// Set once the instance has closed: its accept and heartbeat threads end.
    closed: Arc<AtomicBool>,
    /// The window a Linux proxy's editor is open in (see `wine_editor`).
    #[cfg(windows)]
    wine_editor: Mutex<Option<crate::wine_editor::WineEditorWindow>>,
    weak: Weak<Server>,
}

impl Server {
    /// A server accepting connections that carry `token`.
    pub fn new(token: [u8; 16]) -> Arc<Self> {
        Arc::new_cyclic(|weak| Self {
            token,
            plugin: OnceLock::new(),
            callbacks: Mutex::new(None),
            audio: Mutex::new(None),
            applied_block_changes: Arc::new(AtomicU32::new(0)),
            editor_idle: EditorIdle::default(),
            closed: Arc::new(AtomicBool::new(false)),
            #[cfg(windows)]
            wine_editor: Mutex::new(None),
            weak: weak.clone(),
        })
    }

    /// Accepts connections on `listener` (listening on `socket`) and serves the main one on
    /// this thread until it closes; then shuts the instance down, and its threads end (in a
    /// group's process the others' instances live on).
    pub fn run(self: &Arc<Self>, listener: Listener, socket: &str) -> Result<()> {
        let (main_sender, main_receiver) = mpsc::channel();
        let server = self.clone();
        thread::Builder::new()
            .name("vstbridge-accept".into())
            .spawn(move || server.accept_loop(listener, main_sender))
            .context("cannot start the accept thread")?;
        let main = main_receiver.recv_timeout(MAIN_CONNECTION_TIMEOUT);
        let connected = main.is_ok();
        if let Ok(main) = main {
            self.serve_on_this_thread(Arc::new(main));
            tracing::debug!("main connection closed; shutting down");
            self.shutdown();
        }
        self.closed.store(true, Ordering::Release);
        // Wakes the accept thread, which sees `closed` and ends (dropping the listener).
        let _ = endpoint::connect_with_retry(socket, Duration::ZERO, &mut || Ok(()));
        anyhow::ensure!(connected, "the proxy never connected");
        Ok(())
    }

    /// Accepts connections; each handshake runs on a thread of its own under
    /// [`endpoint::HANDSHAKE_TIMEOUT`] (see `accept`), at most [`MAX_HANDSHAKES`] at once,
    /// until the instance has closed.
    fn accept_loop(self: Arc<Self>, listener: Listener, main_sender: mpsc::Sender<Channel>) {
        let main_sender = Arc::new(Mutex::new(Some(main_sender)));
        let server = self.clone();
        crate::accept::accept_each(
            &listener,
            MAX_HANDSHAKES,
            &Arc::new(AtomicUsize::new(0)),
            "vstbridge-greet",
            &|| self.closed.load(Ordering::Acquire),
            move |channel| server.greet(channel, &main_sender),
        );
    }

    /// Handshakes one connection and puts it to work: the main one goes to the main thread,
    /// a thread's connection becomes this thread's mirror, the callbacks one is kept.
    fn greet(self: &Arc<Self>, channel: Channel, main_sender: &Mutex<Option<mpsc::Sender<Channel>>>) {
        match endpoint::welcome(&channel, self.token, Architecture::current().name()) {
            Ok(ChannelRole::Main) => {
                let Some(sender) = lock(main_sender).take() else {
                    tracing::warn!("refused a second main connection");
                    return;
                };
                match start_heartbeat(&channel, self.closed.clone()) {
                    Ok(()) => {
                        let _ = sender.send(channel);
                    }
                    Err(error) => tracing::error!("the main connection brought no heartbeat page: {error}"),
                }
            }
            Ok(ChannelRole::Thread) => {
                self.serve_on_this_thread(Arc::new(channel));
            }
            Ok(ChannelRole::Callbacks) => *lock(&self.callbacks) = Some(channel),
            Ok(ChannelRole::Group) => tracing::warn!("refused a group connection: this serves one instance"),
            Err(error) => tracing::warn!("refused a connection: {error}"),
        }
    }

    /// Serves `channel` on the calling thread, routing this thread's plugin callbacks to it.
    fn serve_on_this_thread(self: &Arc<Self>, channel: Arc<Channel>) {
        ROUTE.with(|route| *route.borrow_mut() = Some(channel.clone()));
        // Between the DAW's requests, a thread with an editor open idles it (see
        // `editor_idle`). No request of the DAW's is waiting for an answer then, so nobody
        // on the proxy's side reads this connection: callbacks the plugin makes from that
        // idle go over the callbacks connection, as a plugin thread's would.
        let result = channel.serve_idling(
            &mut |request| self.handle(request),
            &|| self.editor_idle.interval(),
            &mut || {
                if let Some(plugin) = self.plugin.get() {
                    let route = ROUTE.with(|route| route.borrow_mut().take());
                    self.editor_idle.idle_if_the_daw_does_not(plugin);
                    ROUTE.with(|slot| *slot.borrow_mut() = route);
                }
            },
        );
        ROUTE.with(|route| route.borrow_mut().take());
        if let Err(error) = result {
            tracing::debug!("connection ended: {error}");
        }
    }

    /// Answers one request from the proxy.
    pub fn handle(self: &Arc<Self>, request: Request) -> Response {
        match request {
            Request::Instantiate { plugin_path } => self.instantiate(&plugin_path),
            Request::Dispatch(call) => match self.plugin.get() {
                Some(plugin) => {
                    self.apply_pending(plugin, &call.pending);
                    if call.opcode == EffectOpcode::CLOSE.0 {
                        return Response::Dispatched(self.close(plugin));
                    }
                    let opcode = call.opcode;
                    let reply = self.execute(plugin, call);
                    self.editor_idle.after_call(opcode, reply.result);
                    // A call may change parameters behind the host's back (a program change,
                    // a loaded chunk): the value table the host's audio thread reads must
                    // show it before the reply does.
                    if let Some(audio) = lock(&self.audio).as_ref() {
                        audio.publish_values(plugin, TABLE_REFRESH_AFTER_CALL);
                    }
                    Response::Dispatched(reply)
                }
                None => Response::Failed("no plugin instance".into()),
            },
            Request::SetParameters(pending) => match self.plugin.get() {
                Some(plugin) => {
                    self.apply_pending(plugin, &pending);
                    Response::Done
                }
                None => Response::Failed("no plugin instance".into()),
            },
            Request::GetParameter { index, pending } => match self.plugin.get() {
                Some(plugin) => {
                    self.apply_pending(plugin, &pending);
                    Response::Parameter(plugin.parameter(index))
                }
                None => Response::Failed("no plugin instance".into()),
            },
            Request::AttachAudio { signal_socket } => self.attach_audio(signal_socket.as_deref()),
            Request::NewInstance => Response::Failed("this server serves one instance, not a group".into()),
            Request::HostCall(call) => {
                tracing::warn!(
                    opcode = call.opcode,
                    "the proxy sent a host call to the server; ignored"
                );
                Response::Failed("the server does not answer host calls".into())
            }
        }
    }

    /// Runs a dispatcher call; a Linux proxy's editor opens in a window of ours and closes
    /// with it (see `wine_editor`).
    fn execute(&self, plugin: &Plugin, call: bridge_proto::DispatchCall) -> bridge_proto::DispatchReply {
        #[cfg(windows)]
        if bridge_ipc::os::linux_proxy().is_some() {
            let opcode = EffectOpcode(call.opcode);
            if opcode == EffectOpcode::EDIT_OPEN {
                let (reply, window) = crate::wine_editor::open_editor(plugin, call);
                // A second effEditOpen without a close replaces the first window.
                *lock(&self.wine_editor) = window;
                return reply;
            }
            if opcode == EffectOpcode::EDIT_CLOSE {
                let reply = dispatch::execute(plugin, call);
                lock(&self.wine_editor).take();
                return reply;
            }
        }
        dispatch::execute(plugin, call)
    }

    /// Brings the plugin up to what the DAW did before the call that carries `pending`:
    /// first the changes a block took (applied by the audio thread as the block starts),
    /// then the carried ones, in the DAW's order.
    fn apply_pending(&self, plugin: &Plugin, pending: &PendingChanges) {
        if pending.is_empty() {
            return;
        }
        if pending.after_block != 0 && lock(&self.audio).is_some() {
            let deadline = std::time::Instant::now() + BLOCK_CHANGES_WAIT;
            // Sequence numbers wrap: "applied ≥ wanted" in the wrapping sense.
            while (self
                .applied_block_changes
                .load(Ordering::Acquire)
                .wrapping_sub(pending.after_block) as i32)
                < 0
            {
                if std::time::Instant::now() >= deadline {
                    tracing::debug!("the audio thread did not apply a block's parameter changes in time");
                    break;
                }
                thread::sleep(Duration::from_micros(50));
            }
        }
        let audio = lock(&self.audio);
        for &(index, value) in &pending.changes {
            plugin.set_parameter(index, value);
            if let Some(audio) = audio.as_ref() {
                audio.publish_value(plugin, index);
            }
        }
    }

    /// effClose, once: the audio thread is stopped first (nothing else of ours may be inside
    /// the plugin while it frees itself), then the plugin is closed and never touched again.
    /// The reply carries the fields as they were before the close.
    fn close(&self, plugin: &Plugin) -> bridge_proto::DispatchReply {
        // No idle may reach a closed plugin.
        self.editor_idle.after_call(EffectOpcode::CLOSE.0, 0);
        if let Some(audio) = lock(&self.audio).take() {
            audio.stop(AUDIO_STOP_PATIENCE);
        }
        let effect = effect_info(plugin);
        plugin.close();
        // The editor went with the plugin; its window goes now.
        #[cfg(windows)]
        lock(&self.wine_editor).take();
        bridge_proto::DispatchReply {
            result: 0,
            payload: bridge_proto::ReplyPayload::None,
            effect,
            snapshot: None,
        }
    }

    fn instantiate(self: &Arc<Self>, path: &str) -> Response {
        if self.plugin.get().is_some() {
            return Response::Failed("this server already hosts an instance".into());
        }
        let route: Weak<dyn CallbackRoute + Send + Sync> = self.weak.clone();
        let host = Arc::new(ForwardingHost::new(route));
        // A Linux proxy names the plugin by its Linux path.
        let path = match bridge_ipc::os::local_path(path) {
            Ok(local) => local,
            Err(error) => return Response::Failed(format!("cannot reach {path}: {error}")),
        };
        let path = path.as_path();
        match Plugin::load(path, host) {
            Ok(plugin) => {
                let plugin = Arc::new(plugin);
                let info = effect_info(&plugin);
                tracing::debug!(path = %path.display(), entry_point = plugin.entry_point(), "plugin instantiated");
                let _ = self.plugin.set(plugin);
                Response::Instantiated(info)
            }
            Err(error) => {
                tracing::error!("{error}");
                Response::Failed(error.to_string())
            }
        }
    }

    fn attach_audio(self: &Arc<Self>, signal_socket: Option<&str>) -> Response {
        // The region's objects follow the request on the connection it came on; they are
        // taken first, whatever else fails, so the stream stays in step.
        let route = ROUTE.with(|route| route.borrow().clone());
        let objects = match route.map(|channel| {
            channel.receive_objects(bridge_ipc::AudioRegion::object_count(bridge_ipc::os::wake_method()))
        }) {
            Some(Ok(objects)) => objects,
            Some(Err(error)) => {
                return Response::Failed(format!("the audio region's objects did not arrive: {error}"));
            }
            None => return Response::Failed("an audio region can only be attached over a connection".into()),
        };
        let Some(plugin) = self.plugin.get() else {
            return Response::Failed("no plugin instance".into());
        };
        let mut audio = lock(&self.audio);
        if let Some(previous) = audio.take() {
            previous.stop(AUDIO_STOP_PATIENCE);
        }
        match AudioThread::start(
            objects,
            signal_socket,
            plugin.clone(),
            self.applied_block_changes.clone(),
        ) {
            Ok(thread) => {
                *audio = Some(thread);
                Response::Done
            }
            Err(error) => Response::Failed(format!("cannot attach the audio region: {error}")),
        }
    }

    /// Sends a plugin callback to the host over this thread's route and returns the
    /// answer; `None` when there is no way to reach the host or it failed.
    fn route_to_host(self: &Arc<Self>, call: HostCall) -> Option<HostReply> {
        let opcode = call.opcode;
        let route = ROUTE.with(|route| route.borrow().clone());
        let response = match route {
            Some(channel) => channel.call(Request::HostCall(call), &mut |nested| self.handle(nested)),
            None => {
                let callbacks = lock(&self.callbacks);
                let channel = callbacks.as_ref()?;
                channel.call(Request::HostCall(call), &mut |nested| self.handle(nested))
            }
        };
        match response {
            Ok(Response::HostAnswered(reply)) => Some(reply),
            Ok(other) => {
                tracing::warn!(opcode, "unexpected answer to a host call: {other:?}");
                None
            }
            Err(error) => {
                tracing::warn!(opcode, "host call failed: {error}");
                None
            }
        }
    }

    fn shutdown(&self) {
        if let Some(audio) = lock(&self.audio).take() {
            audio.stop(AUDIO_STOP_PATIENCE);
        }
        if let Some(plugin) = self.plugin.get() {
            plugin.close();
        }
    }
}

/// Takes the heartbeat page the proxy sends after the main handshake and beats on it from a
/// thread of its own, which never enters the plugin: the proxy tells a stopped server from a
/// busy one by it.
fn start_heartbeat(main: &Channel, closed: Arc<AtomicBool>) -> std::io::Result<()> {
    let heartbeat = bridge_ipc::heartbeat::Heartbeat::open(main.receive_objects(1)?.remove(0))?;
    thread::Builder::new()
        .name("vstbridge-heartbeat".into())
        .spawn(move || {
            // Until the instance closes (in a group's process, others live on).
            while !closed.load(Ordering::Acquire) {
                heartbeat.beat();
                thread::sleep(bridge_ipc::heartbeat::BEAT);
            }
        })?;
    Ok(())
}

/// Locks a mutex, ignoring poisoning (a panicked holder left nothing half-updated here).
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CallbackRoute for Server {
    fn call_host(&self, call: HostCall) -> Option<HostReply> {
        self.weak.upgrade()?.route_to_host(call)
    }

    fn effect_info(&self) -> Option<EffectInfo> {
        self.plugin.get().map(|plugin| effect_info(plugin))
    }
}
