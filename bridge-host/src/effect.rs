//! The `AEffect` the DAW holds for a bridged instance: allocated with the proxy's
//! trampolines, its counts and flags kept in step with the real plugin's, freed after
//! effClose. It owns nothing else and imports nothing of the proxy.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use bridge_proto::EffectInfo;
use vst2_abi::{AEffect, ProcessDoubleProc};

/// The `AEffect` we hand the DAW: heap-allocated by [`OwnedEffect::allocate`], freed by
/// [`OwnedEffect::free`] after effClose. Between the two the pointer is valid, which is what
/// makes the safe accessors below sound.
#[derive(Debug)]
pub struct OwnedEffect {
    effect: std::ptr::NonNull<AEffect>,
    /// The double-precision trampoline, offered to the DAW only when the plugin has one.
    process_double: Option<ProcessDoubleProc>,
}

impl OwnedEffect {
    /// A fresh `AEffect` with the function pointers of `trampolines` (the rest of it is
    /// ignored); counts and flags are filled in from the real plugin by
    /// [`OwnedEffect::mirror`].
    pub fn allocate(trampolines: &AEffect) -> Self {
        let effect = AEffect {
            dispatcher: trampolines.dispatcher,
            process: trampolines.process,
            set_parameter: trampolines.set_parameter,
            get_parameter: trampolines.get_parameter,
            process_replacing: trampolines.process_replacing,
            process_double_replacing: None,
            ..AEffect::empty()
        };
        Self {
            effect: std::ptr::NonNull::from(Box::leak(Box::new(effect))),
            process_double: trampolines.process_double_replacing,
        }
    }

    /// The pointer the DAW holds.
    pub fn as_ptr(&self) -> *mut AEffect {
        self.effect.as_ptr()
    }

    /// Copies the real plugin's fields into our `AEffect`.
    pub fn mirror(&self, info: &EffectInfo) {
        self.mirror_counts(info.fields());
        let effect = self.as_ptr();
        // SAFETY: valid until `free` (type invariant).
        unsafe {
            (*effect).process_double_replacing = if info.has_double_replacing {
                self.process_double
            } else {
                None
            };
            (*effect).future[0] = u8::from(info.has_accumulating);
        }
    }

    /// Copies numPrograms, numParams, numInputs, numOutputs, flags, initialDelay, uniqueID
    /// and version (in that order) into our `AEffect`.
    fn mirror_counts(&self, fields: [i32; 8]) {
        let effect = self.as_ptr();
        // SAFETY: valid until `free`; plain integer stores, as plugins make when their I/O
        // changes.
        unsafe {
            (*effect).num_programs = fields[0];
            (*effect).num_params = fields[1];
            (*effect).num_inputs = fields[2];
            (*effect).num_outputs = fields[3];
            (*effect).flags = fields[4];
            (*effect).initial_delay = fields[5];
            (*effect).unique_id = fields[6];
            (*effect).version = fields[7];
        }
    }

    /// Our declared input and output channel counts.
    pub fn channel_counts(&self) -> (usize, usize) {
        let effect = self.as_ptr();
        // SAFETY: valid until `free`.
        unsafe {
            (
                (*effect).num_inputs.max(0) as usize,
                (*effect).num_outputs.max(0) as usize,
            )
        }
    }

    /// Whether the real plugin has an accumulating `process` (kept in a private byte of our
    /// `future` field, which hosts never read).
    pub fn has_accumulating(&self) -> bool {
        // SAFETY: valid until `free`.
        unsafe { (*self.as_ptr()).future[0] != 0 }
    }

    /// Points `object` at the instance (one strong count, released on effClose).
    pub fn set_object(&self, object: *mut c_void) {
        // SAFETY: valid until `free`.
        unsafe { (*self.as_ptr()).object = object };
    }

    /// Frees the `AEffect`.
    ///
    /// # Safety
    /// Call once, after effClose (or a failed creation the DAW never saw); nothing may use
    /// the pointer afterwards.
    pub unsafe fn free(&self) {
        // SAFETY: allocated with Box in `allocate`, freed only here per the contract.
        unsafe { drop(Box::from_raw(self.as_ptr())) };
    }
}

/// The plugin's fields as last reported, readable and writable from any thread without a
/// lock (the audio thread updates them from callbacks made inside process). Fields are
/// independent numbers, so a reader that sees one update half-applied sees a state the
/// plugin passed through anyway.
#[derive(Debug, Default)]
pub struct SharedEffectInfo {
    fields: [AtomicI32; 8],
    has_double_replacing: AtomicBool,
    has_accumulating: AtomicBool,
}

impl SharedEffectInfo {
    /// The fields.
    pub fn load(&self) -> EffectInfo {
        let [
            num_programs,
            num_params,
            num_inputs,
            num_outputs,
            flags,
            initial_delay,
            unique_id,
            version,
        ] = std::array::from_fn(|i| self.fields[i].load(Ordering::Acquire));
        EffectInfo {
            num_programs,
            num_params,
            num_inputs,
            num_outputs,
            flags,
            initial_delay,
            unique_id,
            version,
            has_double_replacing: self.has_double_replacing.load(Ordering::Acquire),
            has_accumulating: self.has_accumulating.load(Ordering::Acquire),
        }
    }

    /// Replaces the fields.
    pub fn store(&self, info: &EffectInfo) {
        for (field, value) in self.fields.iter().zip(info.fields()) {
            field.store(value, Ordering::Release);
        }
        self.has_double_replacing
            .store(info.has_double_replacing, Ordering::Release);
        self.has_accumulating.store(info.has_accumulating, Ordering::Release);
    }
}
