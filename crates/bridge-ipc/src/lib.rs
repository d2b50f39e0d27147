//! vstbridge's inter-process plumbing, one portable API over per-OS modules:
//!
//! - [`channel`]: framed request/response connections that serve nested requests while
//!   waiting (the basis of thread mirroring and re-entrancy);
//! - [`endpoint`]: the private runtime directory, unguessable socket names, listening and
//!   connecting;
//! - [`region`]: the shared-memory audio region (layout, mapping) and its event records;
//! - [`doorbell`]: the cross-process wake/wait pair on a word of that region;
//! - [`server_process`]: spawning the server and watching it;
//! - [`wine_launch`]: Windows plugins on Linux: Wine, its prefix, and the command that starts
//!   a Windows server under it;
//! - [`emulation`]: plugins of another instruction set (arm64): the command that starts
//!   their server under QEMU's user-mode emulator;
//! - [`os`]: what differs per operating system (control-channel streams, shared memory,
//!   doorbell wakes, handing objects to the server, random bytes, parent death, audio
//!   thread levers, own library path), Linux and Windows behind one API.
//!
//! Every fallible call returns `io::Result` (or an error type convertible to it).

pub mod allocations;
pub mod channel;
pub mod doorbell;
pub mod emulation;
pub mod endpoint;
pub mod heartbeat;
pub mod logging;
pub mod os;
pub mod region;
pub mod region_events;
pub mod server_process;
pub mod wine_launch;
pub mod wire_events;

pub use bridge_proto::WakeMethod;
pub use channel::{CallBudget, Channel};
pub use doorbell::Doorbell;
pub use region::{AudioRegion, RegionCapacity};
