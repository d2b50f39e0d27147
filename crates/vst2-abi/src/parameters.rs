//! `VstParameterProperties`, filled by the plugin for `effGetParameterProperties`.

use crate::constants::{MAX_CATEGORY_LABEL_LEN, MAX_LABEL_LEN, MAX_SHORT_LABEL_LEN};

/// Extra information about one parameter. Size 152 on every target; hosts pass a zeroed
/// struct and the plugin fills what it knows.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VstParameterProperties {
    /// `stepFloat`.
    pub step_float: f32,
    /// `smallStepFloat`.
    pub small_step_float: f32,
    /// `largeStepFloat`.
    pub large_step_float: f32,
    /// `label`, NUL-terminated.
    pub label: [u8; MAX_LABEL_LEN],
    /// `flags`: [`flags`] bits.
    pub flags: i32,
    /// `minInteger`.
    pub min_integer: i32,
    /// `maxInteger`.
    pub max_integer: i32,
    /// `stepInteger`.
    pub step_integer: i32,
    /// `largeStepInteger`.
    pub large_step_integer: i32,
    /// `shortLabel`, NUL-terminated.
    pub short_label: [u8; MAX_SHORT_LABEL_LEN],
    /// `displayIndex`.
    pub display_index: i16,
    /// `category`: 0 none, else the group index + 1.
    pub category: i16,
    /// `numParametersInCategory`.
    pub num_parameters_in_category: i16,
    /// `reserved`.
    pub reserved: i16,
    /// `categoryLabel`, NUL-terminated.
    pub category_label: [u8; MAX_CATEGORY_LABEL_LEN],
    /// `future`, zero.
    pub future: [u8; 16],
}

impl Default for VstParameterProperties {
    fn default() -> Self {
        Self {
            step_float: 0.0,
            small_step_float: 0.0,
            large_step_float: 0.0,
            label: [0; MAX_LABEL_LEN],
            flags: 0,
            min_integer: 0,
            max_integer: 0,
            step_integer: 0,
            large_step_integer: 0,
            short_label: [0; MAX_SHORT_LABEL_LEN],
            display_index: 0,
            category: 0,
            num_parameters_in_category: 0,
            reserved: 0,
            category_label: [0; MAX_CATEGORY_LABEL_LEN],
            future: [0; 16],
        }
    }
}

/// Bits of [`VstParameterProperties::flags`].
pub mod flags {
    /// The parameter is an on/off switch.
    pub const IS_SWITCH: i32 = 1 << 0;
    /// `min_integer`/`max_integer` are valid.
    pub const USES_INTEGER_MIN_MAX: i32 = 1 << 1;
    /// The float step fields are valid.
    pub const USES_FLOAT_STEP: i32 = 1 << 2;
    /// The integer step fields are valid.
    pub const USES_INT_STEP: i32 = 1 << 3;
    /// `display_index` is valid.
    pub const SUPPORTS_DISPLAY_INDEX: i32 = 1 << 4;
    /// The category fields are valid.
    pub const SUPPORTS_DISPLAY_CATEGORY: i32 = 1 << 5;
    /// The parameter can be ramped.
    pub const CAN_RAMP: i32 = 1 << 6;
}
