//! An owned speaker arrangement and the two calls that exchange them
//! (`effSetSpeakerArrangement`, `effGetSpeakerArrangement`), which pass arrays of any
//! length (REAPER sends up to 64 speakers) behind a fixed eight-entry declaration.

use std::ffi::c_void;
use std::ptr;

use vst2_abi::{EffectOpcode, VstSpeakerArrangement, VstSpeakerProperties};

use crate::plugin::Plugin;

/// The most speakers read back from a plugin.
pub const MAX_SPEAKERS: usize = 256;

/// A speaker arrangement held in Rust memory.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerArrangement {
    /// The arrangement code (`vst2_abi::speakers::arrangement`).
    pub arrangement_type: i32,
    /// One entry per channel.
    pub speakers: Vec<VstSpeakerProperties>,
}

impl SpeakerArrangement {
    /// Lays the arrangement out in ABI form in pointer-aligned storage.
    fn to_abi(&self) -> Vec<u64> {
        let bytes = VstSpeakerArrangement::byte_size(self.speakers.len());
        let mut storage = vec![0u64; bytes.div_ceil(8)];
        let header = storage.as_mut_ptr().cast::<VstSpeakerArrangement>();
        // SAFETY: the storage is 8-aligned and `byte_size(n)` bytes long, enough for the
        // header and `n` speakers; the pointer was derived from the whole buffer.
        unsafe {
            ptr::addr_of_mut!((*header).arrangement_type).write(self.arrangement_type);
            ptr::addr_of_mut!((*header).num_channels).write(self.speakers.len() as i32);
            let first = ptr::addr_of_mut!((*header).speakers).cast::<VstSpeakerProperties>();
            ptr::copy_nonoverlapping(self.speakers.as_ptr(), first, self.speakers.len());
        }
        storage
    }

    /// Copies a plugin-owned arrangement.
    ///
    /// # Safety
    /// `raw` must be NULL or point to an arrangement with `num_channels` readable speakers.
    unsafe fn from_abi(raw: *const VstSpeakerArrangement) -> Option<Self> {
        if raw.is_null() {
            return None;
        }
        // SAFETY: a readable header per the contract.
        let (arrangement_type, channels) = unsafe { ((*raw).arrangement_type, (*raw).num_channels) };
        let channels = (channels.max(0) as usize).min(MAX_SPEAKERS);
        // SAFETY: `channels` speakers follow the header per the contract.
        let first = unsafe { ptr::addr_of!((*raw).speakers) }.cast::<VstSpeakerProperties>();
        let speakers = (0..channels)
            // SAFETY: in bounds per the contract; read unaligned in case the plugin's
            // allocation is only 4-aligned.
            .map(|i| unsafe { first.add(i).read_unaligned() })
            .collect();
        Some(Self {
            arrangement_type,
            speakers,
        })
    }
}

impl Plugin {
    /// `effSetSpeakerArrangement`: returns whether the plugin accepted it.
    pub fn set_speaker_arrangement(&self, input: &SpeakerArrangement, output: &SpeakerArrangement) -> bool {
        let mut input = input.to_abi();
        let mut output = output.to_abi();
        // SAFETY: both arrangements are well-formed and live for the call; the input one
        // travels in `value` as an integer, as the ABI specifies.
        unsafe {
            self.dispatch(
                EffectOpcode::SET_SPEAKER_ARRANGEMENT,
                0,
                input.as_mut_ptr() as isize,
                output.as_mut_ptr().cast::<c_void>(),
                0.0,
            ) != 0
        }
    }

    /// `effGetSpeakerArrangement`: copies of the plugin's input and output arrangements.
    pub fn speaker_arrangement(&self) -> Option<(SpeakerArrangement, SpeakerArrangement)> {
        let mut input: *const VstSpeakerArrangement = ptr::null();
        let mut output: *const VstSpeakerArrangement = ptr::null();
        // SAFETY: `value` and `ptr` are addresses of pointer slots the plugin fills.
        let ok = unsafe {
            self.dispatch(
                EffectOpcode::GET_SPEAKER_ARRANGEMENT,
                0,
                (&raw mut input) as isize,
                (&raw mut output).cast(),
                0.0,
            )
        };
        if ok == 0 {
            return None;
        }
        // SAFETY: the plugin pointed the slots at its own arrangements (or left NULL).
        unsafe {
            Some((
                SpeakerArrangement::from_abi(input)?,
                SpeakerArrangement::from_abi(output)?,
            ))
        }
    }
}

/// Copies an arrangement someone else owns as its raw bytes: the header and `num_channels`
/// speakers (at most [`MAX_SPEAKERS`]). `None` for NULL.
///
/// # Safety
/// `arrangement` must be NULL or point to an arrangement with `num_channels` readable
/// speakers.
pub unsafe fn arrangement_bytes(arrangement: *const VstSpeakerArrangement) -> Option<Vec<u8>> {
    if arrangement.is_null() {
        return None;
    }
    // SAFETY: a readable header per the contract.
    let channels = unsafe { (*arrangement).num_channels }.clamp(0, MAX_SPEAKERS as i32) as usize;
    let length = 8 + channels * size_of::<VstSpeakerProperties>();
    // SAFETY: the header and `channels` speakers are readable per the contract.
    Some(unsafe { std::slice::from_raw_parts(arrangement.cast::<u8>(), length) }.to_vec())
}
