//! The [`Host`] trait: how an application answers a plugin's `audioMaster*` calls.
//!
//! Every method has a sensible default, so a host overrides only what it cares about.
//! Methods are called from any thread the plugin calls from (the audio thread inside
//! process, the GUI thread inside dispatcher calls, plugin-owned threads) and re-entrantly
//! from inside the host's own calls into the plugin, so implementations must be `Sync`
//! and must not hold a lock while they call back into the plugin. `time_info`,
//! `process_events` and `process_level` are called on the audio thread: keep them
//! allocation-free.

use vst2_abi::VstTimeInfo;
use vst2_abi::constants::{VST_VERSION_2400, language, process_level};

use crate::events::EventsView;

/// A raw callback the trait has no dedicated method for. `ptr` is only valid during the
/// call and is passed as an integer: dereferencing it is the implementer's (unsafe)
/// business.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawHostCall {
    /// Whether the plugin passed a NULL effect (as plugins do inside their entry point).
    pub effect_is_null: bool,
    /// The opcode.
    pub opcode: vst2_abi::HostOpcode,
    /// `index`.
    pub index: i32,
    /// `value`.
    pub value: isize,
    /// `ptr`, as an address.
    pub ptr: usize,
    /// `opt`.
    pub opt: f32,
}

/// Answers a plugin's calls to its host. See the module docs for the threading rules.
pub trait Host: Send + Sync {
    /// Sees every call first, with its raw arguments; returning `Some` answers it and skips
    /// the decoded methods below. Bridges use this to forward each opcode by its payload
    /// table. The default handles nothing.
    ///
    /// `call.ptr` is only valid during the call, for what `call.opcode` says it carries.
    fn intercept(&self, _call: RawHostCall) -> Option<isize> {
        None
    }
    /// `audioMasterVersion`. Returning 0 makes many plugins refuse to load.
    fn version(&self) -> i32 {
        VST_VERSION_2400
    }
    /// `audioMasterCurrentId`: the unique ID of the shell sub-plugin being created, else 0.
    fn current_id(&self) -> i32 {
        0
    }
    /// `audioMasterAutomate`: the plugin changed a parameter (normally from its GUI).
    fn automate(&self, _index: i32, _value: f32) {}
    /// `audioMasterBeginEdit`: a parameter gesture starts. Return whether it was handled.
    fn begin_edit(&self, _index: i32) -> bool {
        true
    }
    /// `audioMasterEndEdit`: a parameter gesture ends. Return whether it was handled.
    fn end_edit(&self, _index: i32) -> bool {
        true
    }
    /// `audioMasterIdle`: the plugin is in a modal loop.
    fn idle(&self) {}
    /// `audioMasterIOChanged`: I/O counts, latency or flags changed; re-read the plugin's
    /// [`crate::PluginInfo`]. Return whether the host did.
    fn io_changed(&self) -> bool {
        false
    }
    /// `audioMasterUpdateDisplay`: names or values changed. Return whether it was handled.
    fn update_display(&self) -> bool {
        false
    }
    /// `audioMasterSizeWindow`: the editor wants a new size.
    fn size_window(&self, _width: i32, _height: i32) -> bool {
        false
    }
    /// `audioMasterGetTime`: the transport for the current block, or `None`. `mask` names
    /// the fields the plugin needs.
    fn time_info(&self, _mask: i32) -> Option<VstTimeInfo> {
        None
    }
    /// `audioMasterProcessEvents`: MIDI the plugin sends during process. The events are
    /// valid only during the call. Return whether they were accepted.
    fn process_events(&self, _events: &EventsView<'_>) -> bool {
        false
    }
    /// `audioMasterGetSampleRate`.
    fn sample_rate(&self) -> f32 {
        44_100.0
    }
    /// `audioMasterGetBlockSize`.
    fn block_size(&self) -> i32 {
        512
    }
    /// `audioMasterGetInputLatency`.
    fn input_latency(&self) -> i32 {
        0
    }
    /// `audioMasterGetOutputLatency`.
    fn output_latency(&self) -> i32 {
        0
    }
    /// `audioMasterGetCurrentProcessLevel` (see `vst2_abi::constants::process_level`).
    fn process_level(&self) -> isize {
        process_level::UNKNOWN
    }
    /// `audioMasterGetAutomationState`.
    fn automation_state(&self) -> isize {
        0
    }
    /// `audioMasterCanDo`: 1 for supported features, 0 otherwise.
    fn can_do(&self, _feature: &str) -> isize {
        0
    }
    /// `audioMasterGetVendorString` (clamped to 63 bytes when written).
    fn vendor_string(&self) -> &str {
        "vstbridge"
    }
    /// `audioMasterGetProductString` (clamped to 63 bytes when written).
    fn product_string(&self) -> &str {
        "vstbridge host"
    }
    /// `audioMasterGetVendorVersion`.
    fn vendor_version(&self) -> i32 {
        1
    }
    /// `audioMasterGetLanguage`.
    fn language(&self) -> isize {
        language::ENGLISH
    }
    /// Any other opcode, including vendor-specific ones. Return 0 for "not understood".
    fn other(&self, _call: RawHostCall) -> isize {
        0
    }
}

/// A host that answers with the defaults: version 2400, no time info, nothing accepted.
/// Also what a plugin gets when it calls back in a way that cannot be routed to its host.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultHost;

impl Host for DefaultHost {}
