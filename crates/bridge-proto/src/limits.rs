//! The caps on everything the server reports that sizes or indexes memory in the DAW's
//! process. A plugin runs inside the server and can claim anything; the proxy clamps every
//! count to these before it uses or shows one, so no claim can size an allocation, a
//! mapping or a loop in the DAW beyond them.

use crate::EffectInfo;

/// Parameters shown to the DAW, tracked and tabled (a 2³¹-parameter claim becomes this).
pub const MAX_PARAMETERS: i32 = 65_536;
/// Programs shown to the DAW.
pub const MAX_PROGRAMS: i32 = 65_536;
/// Input or output channels, each.
pub const MAX_CHANNELS: i32 = 256;
/// The latency in frames shown to the DAW (about six minutes at 48 kHz).
pub const MAX_INITIAL_DELAY: i32 = 1 << 24;

impl EffectInfo {
    /// These fields with every count clamped to the caps above (negative counts to 0).
    pub fn within_limits(&self) -> Self {
        Self {
            num_programs: self.num_programs.clamp(0, MAX_PROGRAMS),
            num_params: self.num_params.clamp(0, MAX_PARAMETERS),
            num_inputs: self.num_inputs.clamp(0, MAX_CHANNELS),
            num_outputs: self.num_outputs.clamp(0, MAX_CHANNELS),
            initial_delay: self.initial_delay.clamp(0, MAX_INITIAL_DELAY),
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_counts_are_clamped_and_the_rest_kept() {
        let claimed = EffectInfo {
            num_programs: -5,
            num_params: i32::MAX,
            num_inputs: 100_000,
            num_outputs: 2,
            flags: 0x31,
            initial_delay: i32::MIN,
            unique_id: 7,
            version: 3,
            has_double_replacing: true,
            has_accumulating: false,
        };
        let clamped = claimed.within_limits();
        assert_eq!(
            (
                clamped.num_programs,
                clamped.num_params,
                clamped.num_inputs,
                clamped.num_outputs
            ),
            (0, MAX_PARAMETERS, MAX_CHANNELS, 2)
        );
        assert_eq!((clamped.initial_delay, clamped.flags, clamped.unique_id), (0, 0x31, 7));
        assert!(clamped.has_double_replacing);
    }
}
