//! vstbridge's wire protocol between the proxy plugin and the server.
//!
//! - [`messages`]: every request and response, the handshake, and what each carries;
//! - [`payload`]: the per-opcode payload-shape tables (what `ptr` means for each dispatcher
//!   and audioMaster opcode): an explicit table, never a guess from the pointer's contents;
//! - [`framing`]: length-prefixed bincode frames with hard size limits;
//! - [`wine`]: what a Linux proxy and a Windows server under Wine name things by.
//!
//! The crate is pure: it does no I/O, so every message can be tested by an in-memory
//! encode → decode loopback. Pointer-sized values travel as `i64`, so the 32-bit and 64-bit
//! sides speak one format.

pub mod description;
pub mod framing;
pub mod limits;
pub mod messages;
pub mod payload;
pub mod region_layout;
pub mod wine;

pub use framing::{
    FrameError, MAX_FRAME_BYTES, decode_message, decode_slice, encode_frame, encode_into_slice, frame_length,
};
pub use messages::*;
pub use payload::{DispatchShape, HostShape, dispatch_shape, host_shape};

/// The exit code of a plugin group's server that found the group's address taken: another
/// process serves the group, and the proxy that started this one joins that one.
pub const GROUP_ADDRESS_TAKEN_EXIT: i32 = 3;

/// The protocol version both sides must agree on; bumped on every wire change.
pub const PROTOCOL_VERSION: u32 = 6;
