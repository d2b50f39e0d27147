//! Where a plugin's callback travels to reach the DAW: the server's connections (the one the
//! calling thread serves, else the callbacks connection) or, inside process, the audio
//! region's callback slot. Both carry an encoded `HostCall` and bring back a `HostReply`.

use bridge_proto::{EffectInfo, HostCall, HostReply};

/// A way to the DAW for the plugin's callbacks.
pub trait CallbackRoute {
    /// Sends a plugin callback to the host and returns its answer; `None` when the host
    /// cannot be reached.
    fn call_host(&self, call: HostCall) -> Option<HostReply>;
    /// The instance's current fields, sent along so the proxy's copy follows them.
    fn effect_info(&self) -> Option<EffectInfo>;
}
