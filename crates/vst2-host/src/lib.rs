//! A small, safe VST 2.4 host library.
//!
//! [`Plugin::load`] opens a plugin binary by path (checking its format and architecture
//! first, so a 32-bit plugin in a 64-bit process is a clear error rather than a `dlopen`
//! riddle), calls its entry point (`VSTPluginMain`, then the legacy `main`), and returns a
//! [`Plugin`] with safe wrappers for the lifecycle, parameters, programs, chunks, events,
//! processing and the editor rectangle.
//!
//! The plugin's calls back into the host (`audioMaster*`) are answered by a [`Host`]
//! implementation. The callback is re-entrant: it is reached from inside the entry point
//! (with a NULL effect), from inside dispatcher calls, and from inside process, possibly on
//! several threads at once.
//!
//! Unsafe code lives in [`callback`] (the C-ABI trampoline) and in the thin calls through
//! the plugin's function pointers in [`plugin`]; every value a plugin hands back is treated
//! as untrusted.

pub mod binary;
pub mod callback;
pub mod error;
pub mod events;
pub mod guard;
pub mod host;
pub mod plugin;
mod process;
mod queries;
pub mod speakers;

pub use binary::{Architecture, BinaryFormat, BinaryInfo};
pub use error::{LoadError, ProcessError};
pub use events::{Event, EventList, EventsView};
pub use host::{DefaultHost, Host, RawHostCall};
pub use plugin::{CanDo, ChunkKind, Plugin, PluginInfo};
pub use speakers::SpeakerArrangement;
