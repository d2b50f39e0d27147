//! Processing on a [`Plugin`]: `processReplacing`, `processDoubleReplacing` (only when the
//! flag and the pointer both say so) and the old accumulating `process`.
//!
//! The channel-pointer arrays live on the stack, so a process call allocates nothing; that
//! caps the channel count at [`MAX_CHANNELS`].

use vst2_abi::AEffect;

use crate::error::ProcessError;
use crate::plugin::Plugin;

/// The most channels per direction a process call passes.
pub const MAX_CHANNELS: usize = 64;

/// Which ABI process function to call.
#[derive(Clone, Copy)]
enum Kind {
    Replacing,
    Accumulating,
}

impl Plugin {
    /// `processReplacing`: overwrites `outputs` with `frames` processed frames.
    /// `inputs` and `outputs` need at least as many channels as the plugin declares, each
    /// at least `frames` long.
    pub fn process_replacing(
        &self,
        inputs: &[&[f32]],
        outputs: &mut [&mut [f32]],
        frames: usize,
    ) -> Result<(), ProcessError> {
        self.process_f32(inputs, outputs, frames, Kind::Replacing)
    }

    /// The deprecated accumulating `process`: adds the plugin's output into `outputs`.
    pub fn process_accumulating(
        &self,
        inputs: &[&[f32]],
        outputs: &mut [&mut [f32]],
        frames: usize,
    ) -> Result<(), ProcessError> {
        self.process_f32(inputs, outputs, frames, Kind::Accumulating)
    }

    /// `processDoubleReplacing`. Fails with [`ProcessError::Unsupported`] unless the plugin
    /// sets the double-replacing flag and provides the function.
    pub fn process_double_replacing(
        &self,
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
        frames: usize,
    ) -> Result<(), ProcessError> {
        if !self.supports_double() {
            return Err(ProcessError::Unsupported("processDoubleReplacing"));
        }
        let (mut input_ptrs, mut output_ptrs, frames) = self.channel_pointers(inputs, outputs, frames)?;
        let effect = self.effect_ptr();
        if self.is_closed() {
            return Ok(());
        }
        // SAFETY: live AEffect; `supports_double` checked the pointer is present.
        if let Some(process) = unsafe { (*effect).process_double_replacing } {
            // SAFETY: the pointer arrays hold at least numInputs/numOutputs channels of at
            // least `frames` samples each, valid for the call.
            let completed = unsafe {
                crate::guard::process_f64(
                    process,
                    effect,
                    input_ptrs.as_mut_ptr().cast_const(),
                    output_ptrs.as_mut_ptr(),
                    frames,
                )
            };
            if !completed {
                return Err(ProcessError::Threw);
            }
        }
        Ok(())
    }

    fn process_f32(
        &self,
        inputs: &[&[f32]],
        outputs: &mut [&mut [f32]],
        frames: usize,
        kind: Kind,
    ) -> Result<(), ProcessError> {
        let (mut input_ptrs, mut output_ptrs, frames) = self.channel_pointers(inputs, outputs, frames)?;
        if self.is_closed() {
            return Ok(());
        }
        let effect: *mut AEffect = self.effect_ptr();
        // SAFETY: live AEffect; reading its function pointers.
        let function = unsafe {
            match kind {
                Kind::Replacing => (*effect).process_replacing,
                Kind::Accumulating => (*effect).process,
            }
        };
        let Some(function) = function else {
            return Err(ProcessError::Unsupported(match kind {
                Kind::Replacing => "processReplacing",
                Kind::Accumulating => "process",
            }));
        };
        // SAFETY: the pointer arrays hold at least numInputs/numOutputs channels of at least
        // `frames` samples each, valid for the call.
        let completed = unsafe {
            crate::guard::process_f32(
                function,
                effect,
                input_ptrs.as_mut_ptr().cast_const(),
                output_ptrs.as_mut_ptr(),
                frames,
            )
        };
        if !completed {
            return Err(ProcessError::Threw);
        }
        Ok(())
    }

    /// Validates the buffers against the plugin's declared I/O and builds the stack arrays
    /// of channel pointers the ABI wants.
    #[allow(clippy::type_complexity)]
    fn channel_pointers<T>(
        &self,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        frames: usize,
    ) -> Result<([*const T; MAX_CHANNELS], [*mut T; MAX_CHANNELS], i32), ProcessError> {
        let info = self.info();
        let needed_in = info.num_inputs.max(0) as usize;
        let needed_out = info.num_outputs.max(0) as usize;
        for (direction, needed, given) in [
            ("input", needed_in, inputs.len()),
            ("output", needed_out, outputs.len()),
        ] {
            if needed > MAX_CHANNELS {
                return Err(ProcessError::TooManyChannels {
                    channels: needed,
                    max: MAX_CHANNELS,
                });
            }
            if given < needed {
                return Err(ProcessError::ChannelCount {
                    direction,
                    needed,
                    given,
                });
            }
        }
        let frames_i32 = i32::try_from(frames).map_err(|_| ProcessError::TooManyFrames(frames))?;
        let mut input_ptrs = [std::ptr::null::<T>(); MAX_CHANNELS];
        for (slot, channel) in input_ptrs.iter_mut().zip(&inputs[..needed_in]) {
            if channel.len() < frames {
                return Err(ProcessError::ShortBuffer {
                    len: channel.len(),
                    frames,
                });
            }
            *slot = channel.as_ptr();
        }
        let mut output_ptrs = [std::ptr::null_mut::<T>(); MAX_CHANNELS];
        for (slot, channel) in output_ptrs.iter_mut().zip(&mut outputs[..needed_out]) {
            if channel.len() < frames {
                return Err(ProcessError::ShortBuffer {
                    len: channel.len(),
                    frames,
                });
            }
            *slot = channel.as_mut_ptr();
        }
        Ok((input_ptrs, output_ptrs, frames_i32))
    }
}
