//! The vstbridge proxy plugin (`vstbridge-proxy.so`): what a DAW loads in place of the real
//! plugin. It finds the real plugin (`VSTBRIDGE_PLUGIN` or the sidecar
//! `<name>.vstbridge.toml`), starts `vstbridge-server-<arch>` for the plugin's architecture,
//! and forwards every call to it: dispatcher calls over per-thread connections, audio
//! through shared memory. If anything fails while loading, the entry point logs why and
//! returns NULL, which the DAW reports as a plugin that failed to load.
//!
//! - `ffi`: the exported entry points and `AEffect` trampolines (the only C-facing code);
//! - `effect`: the `AEffect` the DAW holds, kept in step with the real plugin's;
//! - `instance`: one bridged instance: health, call budgets, mirrored fields, teardown;
//! - `dispatch`: dispatcher calls to the server (the payload table's proxy half);
//! - `host_calls`: the plugin's callbacks answered by the DAW;
//! - `editor`: effEditOpen/effEditClose, the editor embedded in a window of ours;
//! - `editor_window`: that window (X11), which outlives a dead server;
//! - `audio`: the shared-memory audio path;
//! - `daw_buffers`: the DAW's channel arrays, copied into and out of the region;
//! - `config`: which plugin, which server, which failure policy;
//! - `recorder`: the state replayed after a restart and the answers given while dead,
//!   learnt from every forwarded call through one `observe(request, reply)`;
//! - `watchdog`: noticing death and hangs, restarting, snapshots;
//! - `session`: the server process, its connections and heartbeat;
//! - `group`: joining a plugin group's shared server (Linux);
//! - `parameters`: `setParameter` calls on their way to the plugin;
//! - `spawner`: the long-lived thread servers are started from;
//! - `sync`: locking that survives a panicked holder;
//! - `thread_role`: which DAW threads render audio.
//!
//! Imports run one way: `ffi` → `watchdog` → `dispatch`/`host_calls`/`editor` → `instance` →
//! `session`/`audio`/`editor_window` → `group` (from `session`) → `parameters`/`daw_buffers`/`effect`/`config`/`recorder`/`thread_role`; the audio path reaches its instance only through the
//! `audio::AudioLink` trait.

pub mod audio;
mod bench_signal;
pub mod config;
mod daw_buffers;
mod dispatch;
mod editor;
mod editor_window;
pub mod effect;
pub mod ffi;
#[cfg(target_os = "linux")]
mod group;
mod host_calls;
pub mod instance;
pub mod launch;
mod parameters;
pub mod recorder;
pub mod session;
mod spawner;
mod sync;
mod thread_role;
mod watchdog;
