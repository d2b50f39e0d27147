//! `VstPinProperties`, filled by the plugin for `effGetInputProperties` and
//! `effGetOutputProperties`.

use crate::constants::{MAX_LABEL_LEN, MAX_SHORT_LABEL_LEN};

/// Description of one audio input or output pin. Size 128 on every target; hosts always
/// provide all 128 bytes even though some plugins only know the first 80.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VstPinProperties {
    /// `label`, NUL-terminated.
    pub label: [u8; MAX_LABEL_LEN],
    /// `flags`: [`flags`] bits.
    pub flags: i32,
    /// `arrangementType`: a `speakers::arrangement` code; any value may appear.
    pub arrangement_type: i32,
    /// `shortLabel`, NUL-terminated.
    pub short_label: [u8; MAX_SHORT_LABEL_LEN],
    /// `future`, zero.
    pub future: [u8; 48],
}

impl Default for VstPinProperties {
    fn default() -> Self {
        Self {
            label: [0; MAX_LABEL_LEN],
            flags: 0,
            arrangement_type: 0,
            short_label: [0; MAX_SHORT_LABEL_LEN],
            future: [0; 48],
        }
    }
}

/// Bits of [`VstPinProperties::flags`].
pub mod flags {
    /// The pin is active.
    pub const IS_ACTIVE: i32 = 1 << 0;
    /// The pin is the first channel of a stereo pair.
    pub const IS_STEREO: i32 = 1 << 1;
    /// `arrangement_type` is valid.
    pub const USE_SPEAKER: i32 = 1 << 2;
}
