//! `VstTimeInfo`, the transport snapshot `audioMasterGetTime` returns, with its flag bits
//! and SMPTE frame-rate codes.

/// Transport and position at the start of the current block. Size 88 on every target
/// (align 8; 4 on i686 Linux, which moves no field).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VstTimeInfo {
    /// `samplePos`: position of the block start, in samples. Always valid.
    pub sample_pos: f64,
    /// `sampleRate`. Always valid.
    pub sample_rate: f64,
    /// `nanoSeconds`: system time ([`flags::NANOS_VALID`]).
    pub nano_seconds: f64,
    /// `ppqPos`: musical position in quarter notes ([`flags::PPQ_POS_VALID`]).
    pub ppq_pos: f64,
    /// `tempo` in BPM ([`flags::TEMPO_VALID`]).
    pub tempo: f64,
    /// `barStartPos`: ppq of the last bar start ([`flags::BARS_VALID`]).
    pub bar_start_pos: f64,
    /// `cycleStartPos`: loop start in ppq ([`flags::CYCLE_POS_VALID`]).
    pub cycle_start_pos: f64,
    /// `cycleEndPos`: loop end in ppq ([`flags::CYCLE_POS_VALID`]).
    pub cycle_end_pos: f64,
    /// `timeSigNumerator` ([`flags::TIME_SIG_VALID`]).
    pub time_sig_numerator: i32,
    /// `timeSigDenominator` ([`flags::TIME_SIG_VALID`]).
    pub time_sig_denominator: i32,
    /// `smpteOffset` in 1/80 frame ([`flags::SMPTE_VALID`]).
    pub smpte_offset: i32,
    /// `smpteFrameRate`: a [`smpte_frame_rate`] code, but any value may appear (REAPER
    /// leaves 0xDEADBEEF here when SMPTE is not valid).
    pub smpte_frame_rate: i32,
    /// `samplesToNextClock`: may be negative ([`flags::CLOCK_VALID`]).
    pub samples_to_next_clock: i32,
    /// `flags`: [`flags`] bits.
    pub flags: i32,
}

/// Bits of [`VstTimeInfo::flags`], also the request mask of `audioMasterGetTime`.
pub mod flags {
    /// Play, cycle or record state just changed.
    pub const TRANSPORT_CHANGED: i32 = 1 << 0;
    /// Transport is playing.
    pub const TRANSPORT_PLAYING: i32 = 1 << 1;
    /// Loop is active.
    pub const TRANSPORT_CYCLE_ACTIVE: i32 = 1 << 2;
    /// Recording.
    pub const TRANSPORT_RECORDING: i32 = 1 << 3;
    /// Automation is being written.
    pub const AUTOMATION_WRITING: i32 = 1 << 6;
    /// Automation is being read.
    pub const AUTOMATION_READING: i32 = 1 << 7;
    /// `nano_seconds` is valid.
    pub const NANOS_VALID: i32 = 1 << 8;
    /// `ppq_pos` is valid.
    pub const PPQ_POS_VALID: i32 = 1 << 9;
    /// `tempo` is valid.
    pub const TEMPO_VALID: i32 = 1 << 10;
    /// `bar_start_pos` is valid.
    pub const BARS_VALID: i32 = 1 << 11;
    /// `cycle_start_pos` and `cycle_end_pos` are valid.
    pub const CYCLE_POS_VALID: i32 = 1 << 12;
    /// The time signature is valid.
    pub const TIME_SIG_VALID: i32 = 1 << 13;
    /// The SMPTE fields are valid.
    pub const SMPTE_VALID: i32 = 1 << 14;
    /// `samples_to_next_clock` is valid.
    pub const CLOCK_VALID: i32 = 1 << 15;
}

/// Codes of [`VstTimeInfo::smpte_frame_rate`]. 8 and 9 are unused.
pub mod smpte_frame_rate {
    /// 24 fps.
    pub const FPS_24: i32 = 0;
    /// 25 fps.
    pub const FPS_25: i32 = 1;
    /// 29.97 fps.
    pub const FPS_2997: i32 = 2;
    /// 30 fps.
    pub const FPS_30: i32 = 3;
    /// 29.97 fps drop frame.
    pub const FPS_2997_DROP: i32 = 4;
    /// 30 fps drop frame.
    pub const FPS_30_DROP: i32 = 5;
    /// Film 16 mm.
    pub const FILM_16MM: i32 = 6;
    /// Film 35 mm.
    pub const FILM_35MM: i32 = 7;
    /// 23.976 fps (HD).
    pub const FPS_239: i32 = 10;
    /// 24.976 fps (HD).
    pub const FPS_249: i32 = 11;
    /// 59.94 fps (HD).
    pub const FPS_599: i32 = 12;
    /// 60 fps (HD).
    pub const FPS_60: i32 = 13;
}
