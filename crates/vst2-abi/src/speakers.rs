//! Speaker arrangements (`effSetSpeakerArrangement`, `effGetSpeakerArrangement`) and the
//! arrangement and speaker type codes.

use crate::constants::MAX_NAME_LEN;

/// One speaker of an arrangement. Size 112 on every target.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VstSpeakerProperties {
    /// `azimuth`.
    pub azimuth: f32,
    /// `elevation`.
    pub elevation: f32,
    /// `radius`.
    pub radius: f32,
    /// `reserved`.
    pub reserved: f32,
    /// `name`, NUL-terminated.
    pub name: [u8; MAX_NAME_LEN],
    /// `type`: a [`speaker`] code; any value may appear.
    pub speaker_type: i32,
    /// `future`, zero.
    pub future: [u8; 28],
}

impl Default for VstSpeakerProperties {
    fn default() -> Self {
        Self {
            azimuth: 0.0,
            elevation: 0.0,
            radius: 0.0,
            reserved: 0.0,
            name: [0; MAX_NAME_LEN],
            speaker_type: 0,
            future: [0; 28],
        }
    }
}

/// The number of speakers the fixed C declaration carries. Real hosts send up to 64
/// (REAPER), so never assume this many: size buffers with
/// [`VstSpeakerArrangement::byte_size`].
pub const DECLARED_SPEAKERS: usize = 8;

/// A speaker arrangement: a header and `num_channels` speakers. Size 904 with the eight
/// declared speakers, `8 + 112 × N` in general.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VstSpeakerArrangement {
    /// `type`: an [`arrangement`] code.
    pub arrangement_type: i32,
    /// `numChannels`.
    pub num_channels: i32,
    /// `speakers`: really `num_channels` entries.
    pub speakers: [VstSpeakerProperties; DECLARED_SPEAKERS],
}

impl VstSpeakerArrangement {
    /// Bytes needed for an arrangement with `channels` speakers (never less than the
    /// declared struct).
    pub const fn byte_size(channels: usize) -> usize {
        let header = core::mem::offset_of!(VstSpeakerArrangement, speakers);
        let needed = header + channels * core::mem::size_of::<VstSpeakerProperties>();
        if needed < core::mem::size_of::<VstSpeakerArrangement>() {
            core::mem::size_of::<VstSpeakerArrangement>()
        } else {
            needed
        }
    }
}

/// Speaker-arrangement type codes.
pub mod arrangement {
    /// User-defined.
    pub const USER_DEFINED: i32 = -2;
    /// Empty.
    pub const EMPTY: i32 = -1;
    /// Mono.
    pub const MONO: i32 = 0;
    /// Stereo.
    pub const STEREO: i32 = 1;
    /// Stereo surround (Ls Rs).
    pub const STEREO_SURROUND: i32 = 2;
    /// Stereo center (Lc Rc).
    pub const STEREO_CENTER: i32 = 3;
    /// Stereo side (Sl Sr).
    pub const STEREO_SIDE: i32 = 4;
    /// C + Lfe.
    pub const STEREO_C_LFE: i32 = 5;
    /// 3.0 cine (L R C).
    pub const CINE_30: i32 = 6;
    /// 3.0 music (L R S).
    pub const MUSIC_30: i32 = 7;
    /// 3.1 cine.
    pub const CINE_31: i32 = 8;
    /// 3.1 music.
    pub const MUSIC_31: i32 = 9;
    /// 4.0 cine (L C R S).
    pub const CINE_40: i32 = 10;
    /// 4.0 music (quad).
    pub const MUSIC_40: i32 = 11;
    /// 4.1 cine.
    pub const CINE_41: i32 = 12;
    /// 4.1 music.
    pub const MUSIC_41: i32 = 13;
    /// 5.0.
    pub const SURROUND_50: i32 = 14;
    /// 5.1.
    pub const SURROUND_51: i32 = 15;
    /// 6.0 cine.
    pub const CINE_60: i32 = 16;
    /// 6.0 music.
    pub const MUSIC_60: i32 = 17;
    /// 6.1 cine.
    pub const CINE_61: i32 = 18;
    /// 6.1 music.
    pub const MUSIC_61: i32 = 19;
    /// 7.0 cine.
    pub const CINE_70: i32 = 20;
    /// 7.0 music.
    pub const MUSIC_70: i32 = 21;
    /// 7.1 cine.
    pub const CINE_71: i32 = 22;
    /// 7.1 music.
    pub const MUSIC_71: i32 = 23;
    /// 8.0 cine.
    pub const CINE_80: i32 = 24;
    /// 8.0 music.
    pub const MUSIC_80: i32 = 25;
    /// 8.1 cine.
    pub const CINE_81: i32 = 26;
    /// 8.1 music.
    pub const MUSIC_81: i32 = 27;
    /// 10.2.
    pub const SURROUND_102: i32 = 28;
}

/// Speaker type codes (3–19 come from one source only).
pub mod speaker {
    /// Mono.
    pub const M: i32 = 0;
    /// Left.
    pub const L: i32 = 1;
    /// Right.
    pub const R: i32 = 2;
    /// Center.
    pub const C: i32 = 3;
    /// Low-frequency effects.
    pub const LFE: i32 = 4;
    /// Left surround.
    pub const LS: i32 = 5;
    /// Right surround.
    pub const RS: i32 = 6;
    /// Left of center.
    pub const LC: i32 = 7;
    /// Right of center.
    pub const RC: i32 = 8;
    /// Surround.
    pub const S: i32 = 9;
    /// Side left.
    pub const SL: i32 = 10;
    /// Side right.
    pub const SR: i32 = 11;
    /// Top middle.
    pub const TM: i32 = 12;
    /// Top front left.
    pub const TFL: i32 = 13;
    /// Top front center.
    pub const TFC: i32 = 14;
    /// Top front right.
    pub const TFR: i32 = 15;
    /// Top rear left.
    pub const TRL: i32 = 16;
    /// Top rear center.
    pub const TRC: i32 = 17;
    /// Top rear right.
    pub const TRR: i32 = 18;
    /// Second low-frequency effects.
    pub const LFE2: i32 = 19;
}
