//! One bridged plugin instance on the proxy side: starting its server, the per-thread
//! connections, the `AEffect` the DAW holds (kept in step with the real one), and teardown.
//!
//! Threads: every DAW thread that calls into the instance gets its own connection (the
//! creating thread gets the main one), so the server mirrors it with a thread of its own
//! and re-entrant calls stay on the threads that made them. One proxy thread serves the
//! callbacks the plugin makes from its own threads.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

use bridge_ipc::Channel;
use bridge_ipc::endpoint;
use bridge_ipc::server_process::ServerProcess;
use bridge_proto::{ChannelRole, EffectInfo, Request, Response};
use vst2_abi::HostCallbackProc;
use vst2_host::{Architecture, BinaryInfo};

use crate::audio::ProxyAudio;
use crate::config::{self, BridgeConfig};
use crate::ffi::OwnedEffect;

/// How long the server may take to start listening.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(10);

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

/// Storage for data the DAW reads through pointers we return, valid until the next call of
/// the same kind.
#[derive(Default)]
pub struct ReturnedData {
    /// The chunk handed out by `effGetChunk`.
    pub chunk: Vec<u8>,
    /// The editor rect handed out by `effEditGetRect`.
    pub rect: Box<vst2_abi::ERect>,
    /// The speaker arrangements handed out by `effGetSpeakerArrangement`.
    pub arrangements: (Vec<u64>, Vec<u64>),
}

/// A bridged instance.
pub struct ProxyInstance {
    /// Our `AEffect`, owned by this instance (freed on close).
    pub effect: OwnedEffect,
    /// The DAW's callback.
    pub host: Option<HostCallbackProc>,
    /// The real plugin.
    pub plugin_path: PathBuf,
    /// Whether the instance no longer has a working server.
    dead: AtomicBool,
    server: Mutex<ServerProcess>,
    socket: PathBuf,
    token: [u8; 16],
    channels: Mutex<HashMap<ThreadId, Arc<Channel>>>,
    callback_thread: Mutex<Option<JoinHandle<()>>>,
    /// The audio path.
    pub audio: ProxyAudio,
    /// Pointers handed to the DAW.
    pub returned: Mutex<ReturnedData>,
    /// The last fields the plugin reported.
    pub effect_info: Mutex<EffectInfo>,
}

// SAFETY: `effect` owns our heap AEffect, which the DAW may read from any thread and which
// we update only with plain integer stores (as plugins do); everything else is Sync.
unsafe impl Send for ProxyInstance {}
// SAFETY: as above.
unsafe impl Sync for ProxyInstance {}

/// Locks a mutex, ignoring poisoning.
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ProxyInstance {
    /// Starts a server for the configured plugin and creates the instance. On success the
    /// returned `AEffect` is ready for the DAW.
    pub fn create(host: Option<HostCallbackProc>, proxy_path: Option<&Path>) -> Result<Arc<Self>, CreateError> {
        let config = config::load(proxy_path)?;
        let arch = plugin_architecture(&config)?;
        let server_exe = config::find_server(arch, &config, proxy_path)?;
        let socket = endpoint::new_socket_path()?;
        let token = endpoint::random_token()?;
        tracing::info!(plugin = %config.plugin.display(), %arch, server = %server_exe.display(), "bridging");
        let mut server = ServerProcess::spawn(&server_exe, &socket, token)?;
        let stream = match endpoint::connect_with_retry(&socket, SERVER_START_TIMEOUT, &mut || server.check_alive()) {
            Ok(stream) => stream,
            Err(error) => {
                server.stop(Duration::ZERO);
                let _ = std::fs::remove_file(&socket);
                return Err(error.into());
            }
        };
        let (main, welcome) = endpoint::greet(
            Channel::new(stream),
            token,
            ChannelRole::Main,
            Architecture::current().name(),
        )?;
        tracing::debug!(server_arch = welcome.architecture, "connected to the server");

        let effect = OwnedEffect::allocate();
        let instance = Arc::new(Self {
            effect,
            host,
            plugin_path: config.plugin.clone(),
            dead: AtomicBool::new(false),
            server: Mutex::new(server),
            socket,
            token,
            channels: Mutex::new(HashMap::new()),
            callback_thread: Mutex::new(None),
            audio: ProxyAudio::default(),
            returned: Mutex::new(ReturnedData::default()),
            effect_info: Mutex::new(EffectInfo::default()),
        });
        let main = Arc::new(main);
        lock(&instance.channels).insert(std::thread::current().id(), main.clone());

        let plugin_path = config.plugin.to_string_lossy().into_owned();
        let answer = main.call(Request::Instantiate { plugin_path }, &mut |nested| {
            instance.serve_request(nested)
        });
        match answer {
            Ok(Response::Instantiated(info)) => instance.apply_effect_info(&info),
            Ok(Response::Failed(reason)) => {
                instance.abandon();
                return Err(CreateError::Refused(reason));
            }
            Ok(other) => {
                instance.abandon();
                return Err(CreateError::Refused(format!("unexpected answer {other:?}")));
            }
            Err(error) => {
                instance.abandon();
                return Err(error.into());
            }
        }
        instance.start_callback_thread()?;
        Ok(instance)
    }

    fn start_callback_thread(self: &Arc<Self>) -> io::Result<()> {
        let (channel, _) = endpoint::open_channel(
            &self.socket,
            self.token,
            ChannelRole::Callbacks,
            Architecture::current().name(),
        )?;
        let instance = Arc::downgrade(self);
        let handle = std::thread::Builder::new()
            .name("vstbridge-callbacks".into())
            .spawn(move || {
                let serve = &mut |request| match instance.upgrade() {
                    Some(instance) => instance.serve_request(request),
                    None => Response::Failed("instance closed".into()),
                };
                if let Err(error) = channel.serve(serve) {
                    tracing::debug!("callback connection ended: {error}");
                }
            })?;
        *lock(&self.callback_thread) = Some(handle);
        Ok(())
    }

    /// Whether the server is gone.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Marks the instance dead and says why, once.
    pub fn mark_dead(&self, why: &str) {
        if !self.dead.swap(true, Ordering::AcqRel) {
            tracing::error!(plugin = %self.plugin_path.display(), "the plugin's server is gone ({why}); the plugin is silent from now on");
        }
    }

    /// The connection of the calling thread, opened on first use.
    pub fn channel(&self) -> io::Result<Arc<Channel>> {
        let thread = std::thread::current().id();
        if let Some(channel) = lock(&self.channels).get(&thread) {
            return Ok(channel.clone());
        }
        let (channel, _) = endpoint::open_channel(
            &self.socket,
            self.token,
            ChannelRole::Thread,
            Architecture::current().name(),
        )?;
        let channel = Arc::new(channel);
        lock(&self.channels).insert(thread, channel.clone());
        Ok(channel)
    }

    /// Sends `request` on this thread's connection, serving nested callbacks meanwhile.
    /// A broken connection marks the instance dead.
    pub fn call(&self, request: Request) -> Option<Response> {
        if self.is_dead() {
            return None;
        }
        let result = self
            .channel()
            .and_then(|channel| channel.call(request, &mut |nested| self.serve_request(nested)));
        match result {
            Ok(Response::Failed(reason)) => {
                tracing::warn!("the server refused a request: {reason}");
                None
            }
            Ok(response) => Some(response),
            Err(error) => {
                self.mark_dead(&error.to_string());
                None
            }
        }
    }

    /// Answers a request the server sent us (a plugin callback).
    pub fn serve_request(&self, request: Request) -> Response {
        match request {
            Request::HostCall(call) => Response::HostAnswered(self.answer_host_call(call)),
            other => {
                tracing::warn!("the server sent a request only the proxy may send: {other:?}");
                Response::Failed("unexpected request".into())
            }
        }
    }

    /// Copies the plugin's fields into our `AEffect`.
    pub fn apply_effect_info(&self, info: &EffectInfo) {
        *lock(&self.effect_info) = *info;
        self.effect.mirror(info);
    }

    /// Closes every connection and stops the server.
    pub fn shut_down(&self) {
        self.audio.detach();
        lock(&self.channels).clear();
        let mut server = lock(&self.server);
        server.stop(Duration::from_secs(2));
        let _ = std::fs::remove_file(&self.socket);
        if let Some(handle) = lock(&self.callback_thread).take() {
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }

    /// Gives up on a creation the DAW never saw: stops the server, frees our `AEffect`.
    fn abandon(&self) {
        self.shut_down();
        // SAFETY: the DAW never received this AEffect.
        unsafe { self.effect.free() };
    }
}

/// Reads the plugin's header and checks it is something a server can load.
fn plugin_architecture(config: &BridgeConfig) -> Result<Architecture, CreateError> {
    let path = &config.plugin;
    if !path.is_file() {
        return Err(CreateError::Plugin(format!(
            "plugin not found: {} does not exist or is not a file",
            path.display()
        )));
    }
    let info = BinaryInfo::read(path).map_err(|error| CreateError::Plugin(error.to_string()))?;
    if info.format != vst2_host::BinaryFormat::native() {
        return Err(CreateError::Plugin(format!(
            "{} is a {} binary, which this platform's servers cannot load",
            path.display(),
            info.format
        )));
    }
    match info.architecture {
        Architecture::X86 | Architecture::X86_64 => Ok(info.architecture),
        other => Err(CreateError::Plugin(format!(
            "{}: plugins for {} are not supported",
            path.display(),
            other.describe()
        ))),
    }
}
