//! The DAW's side of one process call: its channel arrays, copied into the shared region
//! before a block and out of it after, silenced when the server cannot answer, summed for
//! an accumulating `process` the plugin does not implement.

use std::ptr;

use bridge_ipc::AudioRegion;

/// Which ABI process function the DAW called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessKind {
    /// `processReplacing`.
    Replacing,
    /// `processDoubleReplacing`.
    DoubleReplacing,
    /// The accumulating `process`.
    Accumulating,
}

/// The DAW's channel arrays for one process call.
pub(crate) struct DawBuffers<T> {
    inputs: *const *const T,
    outputs: *mut *mut T,
    num_inputs: usize,
    num_outputs: usize,
}

impl<T: Sample> DawBuffers<T> {
    /// # Safety
    /// As [`crate::audio::ProxyAudio::process`]: `inputs` and `outputs` hold `num_inputs`
    /// and `num_outputs` channel pointers (or are NULL), each valid for the call's frames.
    pub(crate) unsafe fn new(
        inputs: *const *const T,
        outputs: *mut *mut T,
        num_inputs: usize,
        num_outputs: usize,
    ) -> Self {
        Self {
            inputs,
            outputs,
            num_inputs,
            num_outputs,
        }
    }

    fn input(&self, channel: usize) -> *const T {
        if self.inputs.is_null() || channel >= self.num_inputs {
            return ptr::null();
        }
        // SAFETY: the array holds `num_inputs` entries per the constructor's contract.
        unsafe { *self.inputs.add(channel) }
    }

    fn output(&self, channel: usize) -> *mut T {
        if self.outputs.is_null() || channel >= self.num_outputs {
            return ptr::null_mut();
        }
        // SAFETY: the array holds `num_outputs` entries per the constructor's contract.
        unsafe { *self.outputs.add(channel) }
    }

    /// Zeroes the outputs (for replacing calls; an accumulating call adds nothing).
    pub(crate) fn silence(&self, kind: ProcessKind, offset: usize, frames: usize) {
        if kind == ProcessKind::Accumulating {
            return;
        }
        for channel in 0..self.num_outputs {
            let output = self.output(channel);
            if !output.is_null() {
                // SAFETY: the DAW's channel holds `offset + frames` samples.
                unsafe { ptr::write_bytes(output.add(offset), 0, frames) };
            }
        }
    }

    /// Copies inputs (and, for an accumulating call the plugin serves, the outputs' current
    /// content) into the region.
    pub(crate) fn copy_in(&self, region: &AudioRegion, offset: usize, frames: usize, with_outputs: bool) {
        for channel in 0..self.num_inputs {
            let (Some(to), from) = (region.input_channel::<T>(channel), self.input(channel)) else {
                break;
            };
            // SAFETY: region channels hold `max_frames >= frames` samples; the DAW's hold
            // `offset + frames`.
            unsafe {
                if from.is_null() {
                    ptr::write_bytes(to, 0, frames);
                } else {
                    ptr::copy_nonoverlapping(from.add(offset), to, frames);
                }
            }
        }
        if with_outputs {
            for channel in 0..self.num_outputs {
                let (Some(to), from) = (region.output_channel::<T>(channel), self.output(channel)) else {
                    break;
                };
                if !from.is_null() {
                    // SAFETY: as above.
                    unsafe { ptr::copy_nonoverlapping(from.add(offset).cast_const(), to, frames) };
                }
            }
        }
    }

    /// Copies the region's outputs to the DAW (adding them for an emulated accumulating
    /// call); DAW channels beyond the region's capacity get silence.
    pub(crate) fn copy_out(&self, region: &AudioRegion, offset: usize, frames: usize, accumulate: bool) {
        for channel in 0..self.num_outputs {
            let to = self.output(channel);
            if to.is_null() {
                continue;
            }
            match region.output_channel::<T>(channel) {
                // SAFETY: as in `copy_in`.
                Some(from) => unsafe {
                    if accumulate {
                        for i in 0..frames {
                            let sum = (*to.add(offset + i)).add(*from.add(i));
                            to.add(offset + i).write(sum);
                        }
                    } else {
                        ptr::copy_nonoverlapping(from.cast_const(), to.add(offset), frames);
                    }
                },
                // SAFETY: as above.
                None if !accumulate => unsafe { ptr::write_bytes(to.add(offset), 0, frames) },
                None => {}
            }
        }
    }
}

/// The two sample types.
pub trait Sample: Copy + 'static {
    /// `self + other`.
    fn add(self, other: Self) -> Self;
}

impl Sample for f32 {
    fn add(self, other: Self) -> Self {
        self + other
    }
}

impl Sample for f64 {
    fn add(self, other: Self) -> Self {
        self + other
    }
}
