//! Checks the hand-written C header `include/vst2.h` against this crate.
//!
//! The test generates a C file of static assertions from the same layout table that
//! `layout.rs` uses (`common/layout_table.rs`) and from the crate's constants, then compiles
//! it against the header with the system C compiler:
//!
//! - the size of every struct and the offset of every field, for both the 32-bit and the
//!   64-bit column of the table (`-m32` and `-m64` builds select the column with
//!   `#if UINTPTR_MAX == 0xFFFFFFFFu`);
//! - the size of every field, as the Rust struct has it on the pointer width this test is
//!   built for (this catches a pointer-sized `flags` that happens to keep every offset);
//! - every `EffectOpcode::ALL` and `HostOpcode::ALL` name and value, `kEffectMagic`, the
//!   `effFlags*` bits and the other named constants;
//! - the function-pointer typedefs, by assigning functions of the expected signatures.
//!
//! The same file is compiled as C99 (`-std=c99 -pedantic -Werror`) for 64-bit and 32-bit,
//! and as C++11 for 64-bit. The 32-bit build needs 32-bit C headers (`gcc-multilib` on
//! Debian/Ubuntu); without them the test fails, it never skips.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use vst2_abi::constants::{
    self, IDENTIFY_ANSWER, VST_VERSION_2400, automation_state, category, precision, process_level,
};
use vst2_abi::effect::effect_flags;
use vst2_abi::events::{event_type, midi_event_flags};
use vst2_abi::file_select::{FILE_TYPE_NAME_LEN, command};
use vst2_abi::opcodes::{COCKOS_FUNCTION_LOOKUP, COCKOS_FUNCTION_LOOKUP_INDEX, COCKOS_VENDOR_SPECIFIC_INDEX};
use vst2_abi::speakers::{DECLARED_SPEAKERS, arrangement, speaker};
use vst2_abi::time_info::{flags as time_flags, smpte_frame_rate};
use vst2_abi::*;

/// One struct of the layout table.
struct StructLayout {
    rust_name: &'static str,
    c_name: &'static str,
    /// Expected `sizeof` on (32-bit, 64-bit).
    size: (usize, usize),
    fields: Vec<FieldLayout>,
}

/// One field of the layout table.
struct FieldLayout {
    rust_name: &'static str,
    c_name: &'static str,
    /// Expected `offsetof` on (32-bit, 64-bit).
    offsets: (usize, usize),
    /// The size of the Rust field on the target this test is built for.
    rust_size: usize,
}

/// The size of the field `field` selects, without needing a value of `T`.
fn size_of_field<T, F>(_field: fn(&T) -> &F) -> usize {
    core::mem::size_of::<F>()
}

macro_rules! layout_table {
    ($(
        $rust:ident => $c:literal, size ($size32:literal, $size64:literal) {
            $( $field:ident => $c_field:literal ($off32:literal, $off64:literal), )*
        }
    )*) => {
        /// The shared layout table as data.
        fn layout_table() -> Vec<StructLayout> {
            vec![$(
                StructLayout {
                    rust_name: stringify!($rust),
                    c_name: $c,
                    size: ($size32, $size64),
                    fields: vec![$(
                        FieldLayout {
                            rust_name: stringify!($field),
                            c_name: $c_field,
                            offsets: ($off32, $off64),
                            rust_size: size_of_field(|value: &$rust| &value.$field),
                        },
                    )*],
                },
            )*]
        }
    };
}

include!("common/layout_table.rs");

/// Named constants of the header with the value this crate gives them.
fn named_constants() -> Vec<(&'static str, i64)> {
    let mut list: Vec<(&'static str, i64)> = vec![
        ("kEffectMagic", VST_MAGIC.into()),
        ("effFlagsHasEditor", effect_flags::HAS_EDITOR.into()),
        ("effFlagsHasClip", effect_flags::HAS_CLIP.into()),
        ("effFlagsHasVu", effect_flags::HAS_VU.into()),
        ("effFlagsCanMono", effect_flags::CAN_MONO.into()),
        ("effFlagsCanReplacing", effect_flags::CAN_REPLACING.into()),
        ("effFlagsProgramChunks", effect_flags::PROGRAM_CHUNKS.into()),
        ("effFlagsIsSynth", effect_flags::IS_SYNTH.into()),
        ("effFlagsNoSoundInStop", effect_flags::NO_SOUND_IN_STOP.into()),
        ("effFlagsExtIsAsync", effect_flags::EXT_IS_ASYNC.into()),
        ("effFlagsExtHasBuffer", effect_flags::EXT_HAS_BUFFER.into()),
        ("effFlagsCanDoubleReplacing", effect_flags::CAN_DOUBLE_REPLACING.into()),
        ("VST2_COCKOS_FUNCTION_LOOKUP", COCKOS_FUNCTION_LOOKUP.into()),
        ("VST2_COCKOS_FUNCTION_LOOKUP_INDEX", COCKOS_FUNCTION_LOOKUP_INDEX.into()),
        ("VST2_COCKOS_VENDOR_SPECIFIC_INDEX", COCKOS_VENDOR_SPECIFIC_INDEX.into()),
        ("kVstVersion", VST_VERSION_2400.into()),
        ("kVstIdentifyAnswer", IDENTIFY_ANSWER.into()),
        ("kPlugCategUnknown", category::UNKNOWN.into()),
        ("kPlugCategEffect", category::EFFECT.into()),
        ("kPlugCategSynth", category::SYNTH.into()),
        ("kPlugCategAnalysis", category::ANALYSIS.into()),
        ("kPlugCategMastering", category::MASTERING.into()),
        ("kPlugCategSpacializer", category::SPACIALIZER.into()),
        ("kPlugCategRoomFx", category::ROOM_FX.into()),
        ("kPlugCategSurroundFx", category::SURROUND_FX.into()),
        ("kPlugCategRestoration", category::RESTORATION.into()),
        ("kPlugCategOfflineProcess", category::OFFLINE_PROCESS.into()),
        ("kPlugCategShell", category::SHELL.into()),
        ("kPlugCategGenerator", category::GENERATOR.into()),
        ("kVstMidiType", event_type::MIDI.into()),
        ("kVstAudioType", event_type::AUDIO.into()),
        ("kVstVideoType", event_type::VIDEO.into()),
        ("kVstParameterType", event_type::PARAMETER.into()),
        ("kVstTriggerType", event_type::TRIGGER.into()),
        ("kVstSysExType", event_type::SYSEX.into()),
        ("kVstMidiEventIsRealtime", midi_event_flags::IS_REALTIME.into()),
        ("kVstTransportChanged", time_flags::TRANSPORT_CHANGED.into()),
        ("kVstTransportPlaying", time_flags::TRANSPORT_PLAYING.into()),
        ("kVstTransportCycleActive", time_flags::TRANSPORT_CYCLE_ACTIVE.into()),
        ("kVstTransportRecording", time_flags::TRANSPORT_RECORDING.into()),
        ("kVstAutomationWriting", time_flags::AUTOMATION_WRITING.into()),
        ("kVstAutomationReading", time_flags::AUTOMATION_READING.into()),
        ("kVstNanosValid", time_flags::NANOS_VALID.into()),
        ("kVstPpqPosValid", time_flags::PPQ_POS_VALID.into()),
        ("kVstTempoValid", time_flags::TEMPO_VALID.into()),
        ("kVstBarsValid", time_flags::BARS_VALID.into()),
        ("kVstCyclePosValid", time_flags::CYCLE_POS_VALID.into()),
        ("kVstTimeSigValid", time_flags::TIME_SIG_VALID.into()),
        ("kVstSmpteValid", time_flags::SMPTE_VALID.into()),
        ("kVstClockValid", time_flags::CLOCK_VALID.into()),
        ("kVstSmpte24fps", smpte_frame_rate::FPS_24.into()),
        ("kVstSmpte25fps", smpte_frame_rate::FPS_25.into()),
        ("kVstSmpte2997fps", smpte_frame_rate::FPS_2997.into()),
        ("kVstSmpte30fps", smpte_frame_rate::FPS_30.into()),
        ("kVstSmpte2997dfps", smpte_frame_rate::FPS_2997_DROP.into()),
        ("kVstSmpte30dfps", smpte_frame_rate::FPS_30_DROP.into()),
        ("kVstSmpteFilm16mm", smpte_frame_rate::FILM_16MM.into()),
        ("kVstSmpteFilm35mm", smpte_frame_rate::FILM_35MM.into()),
        ("kVstSmpte239fps", smpte_frame_rate::FPS_239.into()),
        ("kVstSmpte249fps", smpte_frame_rate::FPS_249.into()),
        ("kVstSmpte599fps", smpte_frame_rate::FPS_599.into()),
        ("kVstSmpte60fps", smpte_frame_rate::FPS_60.into()),
        ("kVstParameterIsSwitch", parameters::flags::IS_SWITCH.into()),
        (
            "kVstParameterUsesIntegerMinMax",
            parameters::flags::USES_INTEGER_MIN_MAX.into(),
        ),
        ("kVstParameterUsesFloatStep", parameters::flags::USES_FLOAT_STEP.into()),
        ("kVstParameterUsesIntStep", parameters::flags::USES_INT_STEP.into()),
        (
            "kVstParameterSupportsDisplayIndex",
            parameters::flags::SUPPORTS_DISPLAY_INDEX.into(),
        ),
        (
            "kVstParameterSupportsDisplayCategory",
            parameters::flags::SUPPORTS_DISPLAY_CATEGORY.into(),
        ),
        ("kVstParameterCanRamp", parameters::flags::CAN_RAMP.into()),
        ("kVstPinIsActive", pins::flags::IS_ACTIVE.into()),
        ("kVstPinIsStereo", pins::flags::IS_STEREO.into()),
        ("kVstPinUseSpeaker", pins::flags::USE_SPEAKER.into()),
        ("kSpeakerArrUserDefined", arrangement::USER_DEFINED.into()),
        ("kSpeakerArrEmpty", arrangement::EMPTY.into()),
        ("kSpeakerArrMono", arrangement::MONO.into()),
        ("kSpeakerArrStereo", arrangement::STEREO.into()),
        ("kSpeakerArrStereoSurround", arrangement::STEREO_SURROUND.into()),
        ("kSpeakerArrStereoCenter", arrangement::STEREO_CENTER.into()),
        ("kSpeakerArrStereoSide", arrangement::STEREO_SIDE.into()),
        ("kSpeakerArrStereoCLfe", arrangement::STEREO_C_LFE.into()),
        ("kSpeakerArr30Cine", arrangement::CINE_30.into()),
        ("kSpeakerArr30Music", arrangement::MUSIC_30.into()),
        ("kSpeakerArr31Cine", arrangement::CINE_31.into()),
        ("kSpeakerArr31Music", arrangement::MUSIC_31.into()),
        ("kSpeakerArr40Cine", arrangement::CINE_40.into()),
        ("kSpeakerArr40Music", arrangement::MUSIC_40.into()),
        ("kSpeakerArr41Cine", arrangement::CINE_41.into()),
        ("kSpeakerArr41Music", arrangement::MUSIC_41.into()),
        ("kSpeakerArr50", arrangement::SURROUND_50.into()),
        ("kSpeakerArr51", arrangement::SURROUND_51.into()),
        ("kSpeakerArr60Cine", arrangement::CINE_60.into()),
        ("kSpeakerArr60Music", arrangement::MUSIC_60.into()),
        ("kSpeakerArr61Cine", arrangement::CINE_61.into()),
        ("kSpeakerArr61Music", arrangement::MUSIC_61.into()),
        ("kSpeakerArr70Cine", arrangement::CINE_70.into()),
        ("kSpeakerArr70Music", arrangement::MUSIC_70.into()),
        ("kSpeakerArr71Cine", arrangement::CINE_71.into()),
        ("kSpeakerArr71Music", arrangement::MUSIC_71.into()),
        ("kSpeakerArr80Cine", arrangement::CINE_80.into()),
        ("kSpeakerArr80Music", arrangement::MUSIC_80.into()),
        ("kSpeakerArr81Cine", arrangement::CINE_81.into()),
        ("kSpeakerArr81Music", arrangement::MUSIC_81.into()),
        ("kSpeakerArr102", arrangement::SURROUND_102.into()),
        ("kSpeakerM", speaker::M.into()),
        ("kSpeakerL", speaker::L.into()),
        ("kSpeakerR", speaker::R.into()),
        ("kSpeakerC", speaker::C.into()),
        ("kSpeakerLfe", speaker::LFE.into()),
        ("kSpeakerLs", speaker::LS.into()),
        ("kSpeakerRs", speaker::RS.into()),
        ("kSpeakerLc", speaker::LC.into()),
        ("kSpeakerRc", speaker::RC.into()),
        ("kSpeakerS", speaker::S.into()),
        ("kSpeakerSl", speaker::SL.into()),
        ("kSpeakerSr", speaker::SR.into()),
        ("kSpeakerTm", speaker::TM.into()),
        ("kSpeakerTfl", speaker::TFL.into()),
        ("kSpeakerTfc", speaker::TFC.into()),
        ("kSpeakerTfr", speaker::TFR.into()),
        ("kSpeakerTrl", speaker::TRL.into()),
        ("kSpeakerTrc", speaker::TRC.into()),
        ("kSpeakerTrr", speaker::TRR.into()),
        ("kSpeakerLfe2", speaker::LFE2.into()),
        ("kVstFileLoad", command::FILE_LOAD.into()),
        ("kVstFileSave", command::FILE_SAVE.into()),
        ("kVstMultipleFilesLoad", command::MULTIPLE_FILES_LOAD.into()),
        ("kVstDirectorySelect", command::DIRECTORY_SELECT.into()),
    ];
    // Pointer-sized answers (`isize` in the crate).
    let pointer_sized: [(&'static str, isize); 12] = [
        ("kVstProcessLevelUnknown", process_level::UNKNOWN),
        ("kVstProcessLevelUser", process_level::USER),
        ("kVstProcessLevelRealtime", process_level::REALTIME),
        ("kVstProcessLevelPrefetch", process_level::PREFETCH),
        ("kVstProcessLevelOffline", process_level::OFFLINE),
        ("kVstAutomationUnsupported", automation_state::UNSUPPORTED),
        ("kVstAutomationOff", automation_state::OFF),
        ("kVstAutomationRead", automation_state::READ),
        ("kVstAutomationWrite", automation_state::WRITE),
        ("kVstAutomationReadWrite", automation_state::READ_WRITE),
        ("kVstProcessPrecision32", precision::SINGLE),
        ("kVstProcessPrecision64", precision::DOUBLE),
    ];
    list.extend(pointer_sized.map(|(name, value)| (name, value as i64)));
    // Buffer lengths (`usize` in the crate).
    let lengths: [(&'static str, usize); 10] = [
        ("kVstMaxProgNameLen", constants::MAX_PROG_NAME_LEN),
        ("kVstMaxParamStrLen", constants::MAX_PARAM_STR_LEN),
        ("kVstMaxVendorStrLen", constants::MAX_VENDOR_STR_LEN),
        ("kVstMaxProductStrLen", constants::MAX_PRODUCT_STR_LEN),
        ("kVstMaxEffectNameLen", constants::MAX_EFFECT_NAME_LEN),
        ("kVstMaxLabelLen", constants::MAX_LABEL_LEN),
        ("kVstMaxShortLabelLen", constants::MAX_SHORT_LABEL_LEN),
        ("kVstMaxCategLabelLen", constants::MAX_CATEGORY_LABEL_LEN),
        ("kVstMaxNameLen", constants::MAX_NAME_LEN),
        ("kVstFileTypeNameLen", FILE_TYPE_NAME_LEN),
    ];
    list.extend(lengths.map(|(name, value)| (name, value as i64)));
    list
}

/// C functions with the signatures the ABI prescribes, assigned to the header's
/// function-pointer fields and typedefs: a mismatch is an incompatible-pointer error under
/// `-Werror` (and a hard error in C++).
const SIGNATURE_CHECKS: &str = r#"
static VstIntPtr VST2_CALL check_dispatcher(AEffect *effect, VstInt32 opcode, VstInt32 index,
                                            VstIntPtr value, void *ptr, float opt)
{
    (void)effect; (void)opcode; (void)index; (void)value; (void)ptr; (void)opt;
    return 0;
}

static void VST2_CALL check_process(AEffect *effect, float **inputs, float **outputs,
                                    VstInt32 sampleFrames)
{
    (void)effect; (void)inputs; (void)outputs; (void)sampleFrames;
}

static void VST2_CALL check_process_double(AEffect *effect, double **inputs, double **outputs,
                                           VstInt32 sampleFrames)
{
    (void)effect; (void)inputs; (void)outputs; (void)sampleFrames;
}

static void VST2_CALL check_set_parameter(AEffect *effect, VstInt32 index, float value)
{
    (void)effect; (void)index; (void)value;
}

static float VST2_CALL check_get_parameter(AEffect *effect, VstInt32 index)
{
    (void)effect; (void)index;
    return 0.0f;
}

static AEffect *VST2_CALL check_entry(audioMasterCallback host)
{
    (void)host;
    return 0;
}

void vst2_check_signatures(AEffect *effect, VstEvents *events);
void vst2_check_signatures(AEffect *effect, VstEvents *events)
{
    audioMasterCallback host = check_dispatcher;
    Vst2PluginEntryProc entry = check_entry;
    effect->dispatcher = check_dispatcher;
    effect->process = check_process;
    effect->processReplacing = check_process;
    effect->processDoubleReplacing = check_process_double;
    effect->setParameter = check_set_parameter;
    effect->getParameter = check_get_parameter;
    effect->object = entry(host);
    events->events[0] = (VstEvent *)effect->object;
}
"#;

/// The C source of every check, for the compiler to evaluate.
fn generate_c_source() -> String {
    let table = layout_table();
    let mut c = String::new();
    let out = &mut c;
    writeln!(out, "/* Generated by crates/vst2-abi/tests/c_header.rs. */").unwrap();
    writeln!(out, "#include <stddef.h>").unwrap();
    writeln!(out, "#include <stdint.h>").unwrap();
    writeln!(out, "#include <vst2.h>").unwrap();
    writeln!(
        out,
        r#"
/* C99 has no _Static_assert: GCC and Clang accept the C11 keyword there as a marked extension. */
#if defined(__cplusplus)
#define VST2_STATIC_ASSERT(condition, message) static_assert(condition, message)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define VST2_STATIC_ASSERT(condition, message) _Static_assert(condition, message)
#else
/* glibc's <sys/cdefs.h> replaces _Static_assert with a message-less fallback before C11;
   use the compiler's own keyword so failures print their message. */
#ifdef _Static_assert
#undef _Static_assert
#endif
#define VST2_STATIC_ASSERT(condition, message) __extension__ _Static_assert(condition, message)
#endif
"#
    )
    .unwrap();

    // Struct sizes and field offsets, one block per pointer width.
    for bits in [32usize, 64] {
        let column = |pair: (usize, usize)| if bits == 32 { pair.0 } else { pair.1 };
        if bits == 32 {
            writeln!(out, "#if UINTPTR_MAX == 0xFFFFFFFFu").unwrap();
        } else {
            writeln!(out, "#else").unwrap();
        }
        writeln!(out, "/* {bits}-bit column of common/layout_table.rs */").unwrap();
        writeln!(
            out,
            "VST2_STATIC_ASSERT(sizeof(void *) == {}, \"compiler is not {bits}-bit\");",
            bits / 8
        )
        .unwrap();
        for layout in &table {
            let ty = layout.c_name;
            writeln!(
                out,
                "VST2_STATIC_ASSERT(sizeof({ty}) == {size}, \
                 \"sizeof({ty}) must be {size} on {bits}-bit (Rust {rust})\");",
                size = column(layout.size),
                rust = layout.rust_name,
            )
            .unwrap();
            for field in &layout.fields {
                writeln!(
                    out,
                    "VST2_STATIC_ASSERT(offsetof({ty}, {f}) == {offset}, \
                     \"offsetof({ty}, {f}) must be {offset} on {bits}-bit (Rust {rust}.{rf})\");",
                    f = field.c_name,
                    offset = column(field.offsets),
                    rust = layout.rust_name,
                    rf = field.rust_name,
                )
                .unwrap();
            }
        }
    }
    writeln!(out, "#endif").unwrap();

    // Field sizes as this test's own target has them.
    let bits = usize::BITS;
    let condition = if bits == 32 { "==" } else { "!=" };
    writeln!(
        out,
        "\n/* Field sizes of the Rust structs on the {bits}-bit target this test was built for. */"
    )
    .unwrap();
    writeln!(out, "#if UINTPTR_MAX {condition} 0xFFFFFFFFu").unwrap();
    for layout in &table {
        let ty = layout.c_name;
        for field in &layout.fields {
            writeln!(
                out,
                "VST2_STATIC_ASSERT(sizeof((({ty} *)0)->{f}) == {size}, \
                 \"sizeof({ty}.{f}) must be {size} on {bits}-bit (Rust {rust}.{rf})\");",
                f = field.c_name,
                size = field.rust_size,
                rust = layout.rust_name,
                rf = field.rust_name,
            )
            .unwrap();
        }
    }
    writeln!(out, "#endif").unwrap();

    // Declared array lengths.
    writeln!(
        out,
        "\nVST2_STATIC_ASSERT(sizeof(((VstEvents *)0)->events) / sizeof(VstEvent *) == {}, \
         \"VstEvents.events length\");",
        events_declared_len()
    )
    .unwrap();
    writeln!(
        out,
        "VST2_STATIC_ASSERT(sizeof(((VstSpeakerArrangement *)0)->speakers) \
         / sizeof(VstSpeakerProperties) == {DECLARED_SPEAKERS}, \
         \"VstSpeakerArrangement.speakers length\");"
    )
    .unwrap();

    // Opcodes.
    writeln!(out, "\n/* EffectOpcode::ALL */").unwrap();
    for opcode in EffectOpcode::ALL {
        let name = opcode.name().expect("every opcode in ALL has a name");
        writeln!(
            out,
            "VST2_STATIC_ASSERT({name} == {value}, \"{name} must be {value}\");",
            value = opcode.0
        )
        .unwrap();
    }
    writeln!(out, "\n/* HostOpcode::ALL */").unwrap();
    for opcode in HostOpcode::ALL {
        let name = opcode.name().expect("every opcode in ALL has a name");
        writeln!(
            out,
            "VST2_STATIC_ASSERT({name} == {value}, \"{name} must be {value}\");",
            value = opcode.0
        )
        .unwrap();
    }

    // Other constants.
    writeln!(out, "\n/* Named constants */").unwrap();
    for (name, value) in named_constants() {
        writeln!(
            out,
            "VST2_STATIC_ASSERT({name} == ({value}), \"{name} must be {value}\");"
        )
        .unwrap();
    }

    out.push_str(SIGNATURE_CHECKS);
    c
}

/// The number of event pointers `VstEvents` declares in Rust.
fn events_declared_len() -> usize {
    size_of_field(|events: &VstEvents| &events.events) / core::mem::size_of::<*mut VstEvent>()
}

/// `<workspace>/include`, where `vst2.h` lives.
fn include_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../include");
    assert!(
        dir.join("vst2.h").is_file(),
        "C header not found at {}",
        dir.join("vst2.h").display()
    );
    dir
}

/// A fresh, uniquely named scratch directory under the system temp dir.
fn scratch_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("vst2-abi-c-header-{}-{label}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// How a compile went.
struct CompileResult {
    success: bool,
    /// The compiler's diagnostics.
    stderr: String,
    /// The command line, for messages.
    command: String,
    /// The generated source (kept on failure).
    source: PathBuf,
}

/// Writes the generated checks to a scratch dir and compiles them with `compiler` and
/// `flags`, plus the include dir and `-c`. The scratch dir is removed on success.
fn compile(label: &str, compiler: &str, flags: &[&str]) -> CompileResult {
    let dir = scratch_dir(label);
    let source = dir.join("vst2_header_check.c");
    std::fs::write(&source, generate_c_source()).unwrap_or_else(|e| panic!("cannot write {}: {e}", source.display()));
    let object = dir.join("vst2_header_check.o");
    let mut cmd = Command::new(compiler);
    cmd.args(flags)
        .arg("-I")
        .arg(include_dir())
        .arg("-c")
        .arg(&source)
        .arg("-o")
        .arg(&object);
    let command = format!("{cmd:?}");
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{compiler}` ({e}); a C/C++ compiler is needed"));
    let success = output.status.success();
    if success {
        let _ = std::fs::remove_dir_all(&dir);
    }
    CompileResult {
        success,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        command,
        source,
    }
}

/// Panics with the compiler's diagnostics unless `result` succeeded.
fn assert_compiled(result: &CompileResult, what: &str) {
    assert!(
        result.success,
        "include/vst2.h does not match crates/vst2-abi ({what}).\ncommand: {}\n\
         generated source kept at: {}\ncompiler stderr:\n{}",
        result.command,
        result.source.display(),
        result.stderr
    );
}

const C_FLAGS: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"];

#[test]
fn c_header_layout_matches_rust_on_64_bit() {
    let flags: Vec<&str> = C_FLAGS.iter().copied().chain(["-m64"]).collect();
    let result = compile("c64", "cc", &flags);
    assert_compiled(&result, "C99, -m64");
}

/// Compiles a trivial program that includes `<stdint.h>` with `cc -m32`; returns the
/// compiler's stderr if that fails, i.e. if the toolchain cannot build 32-bit code at all.
fn missing_32_bit_support() -> Option<String> {
    let dir = scratch_dir("probe32");
    let source = dir.join("probe.c");
    std::fs::write(&source, "#include <stdint.h>\nint32_t vst2_probe;\n")
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", source.display()));
    let output = Command::new("cc")
        .args(["-std=c99", "-m32", "-c"])
        .arg(&source)
        .arg("-o")
        .arg(dir.join("probe.o"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run `cc` ({e}); a C compiler is needed"));
    let _ = std::fs::remove_dir_all(&dir);
    (!output.status.success()).then(|| String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn c_header_layout_matches_rust_on_32_bit() {
    let flags: Vec<&str> = C_FLAGS.iter().copied().chain(["-m32"]).collect();
    let result = compile("c32", "cc", &flags);
    if !result.success {
        // Never skip: a machine without 32-bit C support fails with the fix in the message.
        if let Some(probe_stderr) = missing_32_bit_support() {
            panic!(
                "cannot check include/vst2.h on 32-bit: `cc -m32` cannot compile even a \
                 trivial program, so 32-bit C support is missing.\n\
                 Fix: apt-get install gcc-multilib\n\
                 probe stderr:\n{probe_stderr}\nheader check stderr:\n{}",
                result.stderr
            );
        }
    }
    assert_compiled(&result, "C99, -m32");
}

#[test]
fn c_header_compiles_as_cpp() {
    let flags = [
        "-x",
        "c++",
        "-std=c++11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
        "-m64",
    ];
    let result = compile("cxx64", "c++", &flags);
    assert_compiled(&result, "C++11, -m64");
}
