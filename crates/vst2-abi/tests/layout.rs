//! Layout tests: every ABI struct's size and field offsets against the facts sheet, for the
//! pointer width this test is built for. `cargo xtask test` runs it on x86_64 and on i686.

use core::mem::{offset_of, size_of};
use vst2_abi::*;

#[cfg(target_pointer_width = "32")]
const POINTER_BITS: u32 = 32;
#[cfg(target_pointer_width = "64")]
const POINTER_BITS: u32 = 64;

/// Picks the column of the facts sheet that applies to this target.
const fn expected((bits32, bits64): (usize, usize)) -> usize {
    if POINTER_BITS == 32 { bits32 } else { bits64 }
}

macro_rules! layout_table {
    ($( $rust:ident => $c:literal, size $size:tt { $( $field:ident => $c_field:literal $offsets:tt, )* } )*) => {
        /// One test per struct, named after it, so the test list shows each one.
        #[allow(non_snake_case)]
        mod layout_of {
            use super::*;
            $(
                #[test]
                fn $rust() {
                    assert_eq!(size_of::<$rust>(), expected($size),
                        "size of {} on {}-bit", stringify!($rust), POINTER_BITS);
                    $(
                        assert_eq!(offset_of!($rust, $field), expected($offsets),
                            "offset of {}.{} on {}-bit", stringify!($rust), stringify!($field), POINTER_BITS);
                    )*
                }
            )*
        }
    };
}

include!("common/layout_table.rs");

#[test]
fn time_info_alignment_is_at_most_8_and_moves_no_field() {
    // i686 Linux aligns f64 to 4 inside structs; the offsets above already prove no field
    // moved, this only pins the alignment range the bridge relies on when copying it.
    let align = core::mem::align_of::<VstTimeInfo>();
    assert!(align == 4 || align == 8, "unexpected VstTimeInfo alignment {align}");
}

#[test]
fn events_byte_size_covers_n_pointers() {
    let pointer = size_of::<*mut VstEvent>();
    assert_eq!(VstEvents::byte_size(0), size_of::<VstEvents>());
    assert_eq!(VstEvents::byte_size(100), 2 * pointer + 100 * pointer);
}

#[test]
fn speaker_arrangement_byte_size_covers_64_speakers() {
    assert_eq!(VstSpeakerArrangement::byte_size(64), 8 + 112 * 64);
    assert_eq!(VstSpeakerArrangement::byte_size(2), 904);
}

#[test]
fn unknown_opcodes_pass_through() {
    let opcode = EffectOpcode(0xDEAD_BEEF_u32 as i32);
    assert_eq!(opcode.name(), None);
    assert_eq!(i32::from(opcode), 0xDEAD_BEEF_u32 as i32);
    assert_eq!(EffectOpcode::GET_CHUNK.name(), Some("effGetChunk"));
    assert_eq!(HostOpcode::GET_TIME.name(), Some("audioMasterGetTime"));
    assert_eq!(EffectOpcode::ALL.len(), 80);
    assert_eq!(HostOpcode::ALL.len(), 49);
}

#[test]
fn magic_is_vstp() {
    assert_eq!(VST_MAGIC, vst2_abi::effect::four_char_code(b"VstP"));
    assert_eq!(VST_MAGIC.to_le_bytes(), *b"PtsV");
}
