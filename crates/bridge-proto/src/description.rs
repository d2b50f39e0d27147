//! What a server reports about a plugin when asked to describe it (`--describe`): the
//! information `vstbridge probe` and `vstbridge scan` show.

use serde::{Deserialize, Serialize};

/// One parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterDescription {
    /// Its index.
    pub index: i32,
    /// `effGetParamName`.
    pub name: String,
    /// `effGetParamLabel` (the unit).
    pub label: String,
    /// `effGetParamDisplay` at its default.
    pub display: String,
    /// The normalized value right after loading.
    pub default: f32,
}

/// A plugin's self-description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginDescription {
    /// The entry point that created it (`VSTPluginMain` or `main`).
    pub entry_point: String,
    /// `effGetEffectName`.
    pub name: String,
    /// `effGetVendorString`.
    pub vendor: String,
    /// `effGetProductString`.
    pub product: String,
    /// `effGetVendorVersion`.
    pub vendor_version: i32,
    /// `effGetVstVersion`.
    pub vst_version: i32,
    /// `AEffect::uniqueID`.
    pub unique_id: i32,
    /// `AEffect::version`.
    pub version: i32,
    /// `effGetPlugCategory`.
    pub category: i32,
    /// Audio inputs.
    pub inputs: i32,
    /// Audio outputs.
    pub outputs: i32,
    /// `AEffect::flags`.
    pub flags: i32,
    /// `AEffect::initialDelay` in samples.
    pub latency: i32,
    /// Program names.
    pub programs: Vec<String>,
    /// Parameters.
    pub parameters: Vec<ParameterDescription>,
    /// canDo answers: (feature, "yes" | "no" | "unknown").
    pub can_do: Vec<(String, String)>,
    /// The editor's size in pixels (width, height) from `effEditGetRect`, when the plugin
    /// says it has an editor (`None`: no editor; 0 × 0: one that does not say its size
    /// before it opens, or no display to ask it on).
    pub editor: Option<(i32, i32)>,
}
