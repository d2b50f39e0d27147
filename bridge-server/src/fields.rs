//! The wire forms of what the plugin exposes: its `AEffect` fields as [`EffectInfo`], and a
//! host's `VstTimeInfo` from the bytes it travels as. Used by every path that reports them.

use bridge_proto::EffectInfo;
use vst2_abi::VstTimeInfo;
use vst2_host::Plugin;

/// The wire form of a plugin's fields.
pub fn effect_info(plugin: &Plugin) -> EffectInfo {
    let info = plugin.info();
    EffectInfo {
        num_programs: info.num_programs,
        num_params: info.num_params,
        num_inputs: info.num_inputs,
        num_outputs: info.num_outputs,
        flags: info.flags,
        initial_delay: info.initial_delay,
        unique_id: info.unique_id,
        version: info.version,
        has_double_replacing: info.has_double_replacing,
        has_accumulating: info.has_accumulating,
    }
}

/// A `VstTimeInfo` from its 88 wire bytes (zeros past the end if short).
pub fn time_info_from_bytes(bytes: &[u8]) -> VstTimeInfo {
    let mut info = VstTimeInfo::default();
    let length = bytes.len().min(size_of::<VstTimeInfo>());
    // SAFETY: VstTimeInfo is plain old data; at most its size is written.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), (&raw mut info).cast::<u8>(), length) };
    info
}
