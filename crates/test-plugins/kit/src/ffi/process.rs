//! Audio buffer plumbing for the three process trampolines: turns the host's channel
//! pointer arrays into slices, with per-instance preallocated scratch buffers for the
//! accumulating `process`, NULL channels and aliased (in-place) buffers. Never allocates.

use core::ops::AddAssign;
use core::{ptr, slice};

use crate::MAX_CHANNELS;

/// Scratch frames per channel before the host sends `effSetBlockSize`.
pub(crate) const DEFAULT_BLOCK: usize = 1024;
/// The largest scratch block; longer host blocks are rendered in several pieces.
pub(crate) const MAX_BLOCK: usize = 1 << 16;

/// A sample type the kit can process.
pub(crate) trait Sample: Copy + Default + AddAssign + 'static {}
impl Sample for f32 {}
impl Sample for f64 {}

/// Preallocated per-instance scratch memory: `frames` samples per input and per output.
#[derive(Debug)]
pub(crate) struct Scratch<T> {
    frames: usize,
    inputs: usize,
    outputs: usize,
    input_buf: Vec<T>,
    output_buf: Vec<T>,
}

impl<T: Sample> Scratch<T> {
    /// Scratch for `inputs` and `outputs` channels (each clamped to [`MAX_CHANNELS`]).
    pub(crate) fn new(inputs: usize, outputs: usize, frames: usize) -> Self {
        let mut scratch = Self {
            frames: 0,
            inputs: inputs.min(MAX_CHANNELS),
            outputs: outputs.min(MAX_CHANNELS),
            input_buf: Vec::new(),
            output_buf: Vec::new(),
        };
        scratch.resize(frames);
        scratch
    }

    /// Re-sizes for blocks of `frames` (clamped to 1..=[`MAX_BLOCK`]). Allocates; called
    /// from `effSetBlockSize` only.
    pub(crate) fn resize(&mut self, frames: usize) {
        let frames = frames.clamp(1, MAX_BLOCK);
        if frames != self.frames {
            self.frames = frames;
            self.input_buf = vec![T::default(); self.inputs * frames];
            self.output_buf = vec![T::default(); self.outputs * frames];
        }
    }
}

/// Whether the process call overwrites or adds into the host's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// processReplacing / processDoubleReplacing.
    Replace,
    /// The deprecated accumulating `process`.
    Accumulate,
}

/// Whether `[a, a + n)` and `[b, b + n)` (in samples of `T`) overlap.
fn overlaps<T>(a: *const T, b: *const T, n: usize) -> bool {
    let bytes = n.saturating_mul(size_of::<T>());
    let (a, b) = (a as usize, b as usize);
    a < b.saturating_add(bytes) && b < a.saturating_add(bytes)
}

/// Runs `render` over the host's buffers.
///
/// NULL inputs read as silence; NULL outputs (and outputs overlapping an earlier output)
/// are rendered into scratch and discarded; inputs overlapping an output written in place
/// are copied to scratch first, so the plugin never sees aliased slices. In
/// [`Mode::Accumulate`] every output is rendered into scratch and then added to the host's.
/// When scratch is needed the block is rendered in pieces of the scratch size.
///
/// # Safety
/// `inputs` must be NULL or point at `scratch.inputs` channel pointers, each NULL or valid
/// for reading `frames` samples; `outputs` likewise for `scratch.outputs` channels valid for
/// reading and writing `frames` samples. None may be touched by anyone else during the call.
pub(crate) unsafe fn run<T: Sample>(
    scratch: &mut Scratch<T>,
    inputs: *const *const T,
    outputs: *mut *mut T,
    frames: i32,
    mode: Mode,
    mut render: impl FnMut(&[&[T]], &mut [&mut [T]]),
) {
    if frames <= 0 {
        return;
    }
    let frames = frames as usize;
    let (n_in, n_out) = (scratch.inputs, scratch.outputs);
    let mut in_ptrs = [ptr::null::<T>(); MAX_CHANNELS];
    let mut out_ptrs = [ptr::null_mut::<T>(); MAX_CHANNELS];
    if !inputs.is_null() {
        for (i, slot) in in_ptrs[..n_in].iter_mut().enumerate() {
            // SAFETY: the caller guarantees `inputs` holds `n_in` channel pointers.
            *slot = unsafe { inputs.add(i).read() };
        }
    }
    if !outputs.is_null() {
        for (i, slot) in out_ptrs[..n_out].iter_mut().enumerate() {
            // SAFETY: the caller guarantees `outputs` holds `n_out` channel pointers.
            *slot = unsafe { outputs.add(i).read() };
        }
    }

    // Outputs written in place: non-NULL, not overlapping an earlier in-place output.
    let mut out_direct = [false; MAX_CHANNELS];
    if mode == Mode::Replace {
        for j in 0..n_out {
            let q = out_ptrs[j];
            out_direct[j] = !q.is_null() && (0..j).all(|k| !out_direct[k] || !overlaps(out_ptrs[k], q, frames));
        }
    }
    // Inputs read in place: non-NULL, not overlapping any in-place output.
    let mut in_direct = [false; MAX_CHANNELS];
    for i in 0..n_in {
        let p = in_ptrs[i];
        in_direct[i] =
            !p.is_null() && (0..n_out).all(|j| !out_direct[j] || !overlaps(p, out_ptrs[j].cast_const(), frames));
    }
    let needs_scratch =
        mode == Mode::Accumulate || in_direct[..n_in].iter().any(|d| !d) || out_direct[..n_out].iter().any(|d| !d);
    let cap = scratch.frames;
    let step = if needs_scratch { cap } else { frames };

    let mut offset = 0;
    while offset < frames {
        let len = step.min(frames - offset);
        let mut in_regions = scratch.input_buf.chunks_mut(cap);
        let mut ins: [&[T]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        for i in 0..n_in {
            let region = in_regions.next();
            ins[i] = if in_direct[i] {
                // SAFETY: non-NULL input valid for `frames` samples (caller), not overlapping
                // any output slice handed out mutably below.
                unsafe { slice::from_raw_parts(in_ptrs[i].add(offset), len) }
            } else {
                // Only reached when `needs_scratch`, so `len <= cap` and the region exists.
                let region = &mut region.expect("scratch input region")[..len];
                if in_ptrs[i].is_null() {
                    region.fill(T::default());
                } else {
                    // SAFETY: as above; the shared view ends before any output slice exists.
                    region.copy_from_slice(unsafe { slice::from_raw_parts(in_ptrs[i].add(offset), len) });
                }
                region
            };
        }
        let mut out_regions = scratch.output_buf.chunks_mut(cap);
        let mut outs: [&mut [T]; MAX_CHANNELS] = core::array::from_fn(|_| Default::default());
        for j in 0..n_out {
            let region = out_regions.next();
            outs[j] = if out_direct[j] {
                // SAFETY: non-NULL output valid for `frames` samples (caller), overlapping
                // neither another in-place output nor an in-place input (checked above).
                unsafe { slice::from_raw_parts_mut(out_ptrs[j].add(offset), len) }
            } else {
                let region = &mut region.expect("scratch output region")[..len];
                region.fill(T::default());
                region
            };
        }
        render(&ins[..n_in], &mut outs[..n_out]);
        // `ins` is not used past this point, so writing through the raw outputs is fine.
        if mode == Mode::Accumulate {
            for (j, rendered) in outs[..n_out].iter().enumerate() {
                let q = out_ptrs[j];
                if q.is_null() {
                    continue;
                }
                for (k, &sample) in rendered.iter().enumerate() {
                    // SAFETY: non-NULL output valid for reading and writing `frames` samples
                    // (caller); no reference into it is used any more (the input views
                    // ended with `render`).
                    unsafe { *q.add(offset + k) += sample };
                }
            }
        }
        offset += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gain(inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        for (input, output) in inputs.iter().zip(outputs.iter_mut()) {
            for (i, o) in input.iter().zip(output.iter_mut()) {
                *o = i * 2.0;
            }
        }
    }

    #[test]
    fn replacing_in_place_reads_input_before_writing() {
        let mut scratch = Scratch::<f32>::new(1, 1, 4);
        let mut buf = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let p = buf.as_mut_ptr();
        let ins = [p.cast_const()];
        let mut outs = [p];
        // SAFETY: both arrays hold one pointer to `buf`, valid for 6 samples.
        unsafe { run(&mut scratch, ins.as_ptr(), outs.as_mut_ptr(), 6, Mode::Replace, gain) };
        assert_eq!(buf, [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
    }

    #[test]
    fn accumulate_adds_and_null_channels_are_tolerated() {
        let mut scratch = Scratch::<f32>::new(2, 2, 2);
        let input = [1.0f32; 5];
        let mut output = [10.0f32; 5];
        let ins = [input.as_ptr(), ptr::null()];
        let mut outs = [output.as_mut_ptr(), ptr::null_mut()];
        // SAFETY: the non-NULL pointers are valid for 5 samples.
        unsafe { run(&mut scratch, ins.as_ptr(), outs.as_mut_ptr(), 5, Mode::Accumulate, gain) };
        assert_eq!(output, [12.0; 5]);
        // SAFETY: NULL arrays are allowed; frames <= 0 returns at once.
        unsafe {
            run(&mut scratch, ptr::null(), ptr::null_mut(), 5, Mode::Replace, gain);
            run(&mut scratch, ins.as_ptr(), outs.as_mut_ptr(), -1, Mode::Replace, gain);
        }
    }
}
