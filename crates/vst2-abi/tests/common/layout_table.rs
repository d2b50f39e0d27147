// The expected layout of every ABI struct, from the facts sheet (32-bit and 64-bit
// columns). One table, read by two tests: `layout.rs` checks the Rust structs with
// `offset_of!`/`size_of` on the target it is built for, and `c_header.rs` turns it into C
// static asserts compiled with -m32 and -m64 against `include/vst2.h`.
//
// Each entry: RustType => "CType", size (size32, size64) { rust_field => "cField" (off32, off64), ... }
layout_table! {
    AEffect => "AEffect", size (144, 192) {
        magic => "magic" (0, 0),
        dispatcher => "dispatcher" (4, 8),
        process => "process" (8, 16),
        set_parameter => "setParameter" (12, 24),
        get_parameter => "getParameter" (16, 32),
        num_programs => "numPrograms" (20, 40),
        num_params => "numParams" (24, 44),
        num_inputs => "numInputs" (28, 48),
        num_outputs => "numOutputs" (32, 52),
        flags => "flags" (36, 56),
        resvd1 => "resvd1" (40, 64),
        resvd2 => "resvd2" (44, 72),
        initial_delay => "initialDelay" (48, 80),
        real_qualities => "realQualities" (52, 84),
        off_qualities => "offQualities" (56, 88),
        io_ratio => "ioRatio" (60, 92),
        object => "object" (64, 96),
        user => "user" (68, 104),
        unique_id => "uniqueID" (72, 112),
        version => "version" (76, 116),
        process_replacing => "processReplacing" (80, 120),
        process_double_replacing => "processDoubleReplacing" (84, 128),
        future => "future" (88, 136),
    }
    VstEvents => "VstEvents", size (16, 32) {
        num_events => "numEvents" (0, 0),
        reserved => "reserved" (4, 8),
        events => "events" (8, 16),
    }
    VstEvent => "VstEvent", size (32, 32) {
        event_type => "type" (0, 0),
        byte_size => "byteSize" (4, 4),
        delta_frames => "deltaFrames" (8, 8),
        flags => "flags" (12, 12),
        data => "data" (16, 16),
    }
    VstMidiEvent => "VstMidiEvent", size (32, 32) {
        event_type => "type" (0, 0),
        byte_size => "byteSize" (4, 4),
        delta_frames => "deltaFrames" (8, 8),
        flags => "flags" (12, 12),
        note_length => "noteLength" (16, 16),
        note_offset => "noteOffset" (20, 20),
        midi_data => "midiData" (24, 24),
        detune => "detune" (28, 28),
        note_off_velocity => "noteOffVelocity" (29, 29),
        reserved1 => "reserved1" (30, 30),
        reserved2 => "reserved2" (31, 31),
    }
    VstMidiSysexEvent => "VstMidiSysexEvent", size (32, 48) {
        event_type => "type" (0, 0),
        byte_size => "byteSize" (4, 4),
        delta_frames => "deltaFrames" (8, 8),
        flags => "flags" (12, 12),
        dump_bytes => "dumpBytes" (16, 16),
        resvd1 => "resvd1" (20, 24),
        sysex_dump => "sysexDump" (24, 32),
        resvd2 => "resvd2" (28, 40),
    }
    VstTimeInfo => "VstTimeInfo", size (88, 88) {
        sample_pos => "samplePos" (0, 0),
        sample_rate => "sampleRate" (8, 8),
        nano_seconds => "nanoSeconds" (16, 16),
        ppq_pos => "ppqPos" (24, 24),
        tempo => "tempo" (32, 32),
        bar_start_pos => "barStartPos" (40, 40),
        cycle_start_pos => "cycleStartPos" (48, 48),
        cycle_end_pos => "cycleEndPos" (56, 56),
        time_sig_numerator => "timeSigNumerator" (64, 64),
        time_sig_denominator => "timeSigDenominator" (68, 68),
        smpte_offset => "smpteOffset" (72, 72),
        smpte_frame_rate => "smpteFrameRate" (76, 76),
        samples_to_next_clock => "samplesToNextClock" (80, 80),
        flags => "flags" (84, 84),
    }
    ERect => "ERect", size (8, 8) {
        top => "top" (0, 0),
        left => "left" (2, 2),
        bottom => "bottom" (4, 4),
        right => "right" (6, 6),
    }
    VstParameterProperties => "VstParameterProperties", size (152, 152) {
        step_float => "stepFloat" (0, 0),
        small_step_float => "smallStepFloat" (4, 4),
        large_step_float => "largeStepFloat" (8, 8),
        label => "label" (12, 12),
        flags => "flags" (76, 76),
        min_integer => "minInteger" (80, 80),
        max_integer => "maxInteger" (84, 84),
        step_integer => "stepInteger" (88, 88),
        large_step_integer => "largeStepInteger" (92, 92),
        short_label => "shortLabel" (96, 96),
        display_index => "displayIndex" (104, 104),
        category => "category" (106, 106),
        num_parameters_in_category => "numParametersInCategory" (108, 108),
        reserved => "reserved" (110, 110),
        category_label => "categoryLabel" (112, 112),
        future => "future" (136, 136),
    }
    VstPinProperties => "VstPinProperties", size (128, 128) {
        label => "label" (0, 0),
        flags => "flags" (64, 64),
        arrangement_type => "arrangementType" (68, 68),
        short_label => "shortLabel" (72, 72),
        future => "future" (80, 80),
    }
    VstSpeakerProperties => "VstSpeakerProperties", size (112, 112) {
        azimuth => "azimuth" (0, 0),
        elevation => "elevation" (4, 4),
        radius => "radius" (8, 8),
        reserved => "reserved" (12, 12),
        name => "name" (16, 16),
        speaker_type => "type" (80, 80),
        future => "future" (84, 84),
    }
    VstSpeakerArrangement => "VstSpeakerArrangement", size (904, 904) {
        arrangement_type => "type" (0, 0),
        num_channels => "numChannels" (4, 4),
        speakers => "speakers" (8, 8),
    }
    MidiProgramName => "MidiProgramName", size (80, 80) {
        this_program_index => "thisProgramIndex" (0, 0),
        name => "name" (4, 4),
        midi_program => "midiProgram" (68, 68),
        midi_bank_msb => "midiBankMsb" (69, 69),
        midi_bank_lsb => "midiBankLsb" (70, 70),
        reserved => "reserved" (71, 71),
        parent_category_index => "parentCategoryIndex" (72, 72),
        flags => "flags" (76, 76),
    }
    MidiProgramCategory => "MidiProgramCategory", size (76, 76) {
        this_category_index => "thisCategoryIndex" (0, 0),
        name => "name" (4, 4),
        parent_category_index => "parentCategoryIndex" (68, 68),
        flags => "flags" (72, 72),
    }
    MidiKeyName => "MidiKeyName", size (80, 80) {
        this_program_index => "thisProgramIndex" (0, 0),
        this_key_number => "thisKeyNumber" (4, 4),
        key_name => "keyName" (8, 8),
        reserved => "reserved" (72, 72),
        flags => "flags" (76, 76),
    }
    VstPatchChunkInfo => "VstPatchChunkInfo", size (64, 64) {
        version => "version" (0, 0),
        plugin_unique_id => "pluginUniqueID" (4, 4),
        plugin_version => "pluginVersion" (8, 8),
        num_elements => "numElements" (12, 12),
        future => "future" (16, 16),
    }
    VstFileType => "VstFileType", size (408, 408) {
        name => "name" (0, 0),
        mac_type => "macType" (128, 128),
        dos_type => "dosType" (136, 136),
        unix_type => "unixType" (144, 144),
        mime_type1 => "mimeType1" (152, 152),
        mime_type2 => "mimeType2" (280, 280),
    }
    VstFileSelect => "VstFileSelect", size (1184, 1216) {
        command => "command" (0, 0),
        select_type => "type" (4, 4),
        mac_creator => "macCreator" (8, 8),
        num_file_types => "nbFileTypes" (12, 12),
        file_types => "fileTypes" (16, 16),
        title => "title" (20, 24),
        initial_path => "initialPath" (1044, 1048),
        return_path => "returnPath" (1048, 1056),
        size_return_path => "sizeReturnPath" (1052, 1064),
        return_multiple_paths => "returnMultiplePaths" (1056, 1072),
        num_return_paths => "nbReturnPath" (1060, 1080),
        reserved => "reserved" (1064, 1088),
        future => "future" (1068, 1096),
    }
}
