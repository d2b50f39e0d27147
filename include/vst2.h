/*
 * vst2.h -- the VST 2.4 plugin ABI as a C99 header (vstbridge project).
 *
 * This is a CLEAN-ROOM description written by the vstbridge authors from publicly
 * reverse-engineered facts (collected in the project's VST2 ABI facts sheet and encoded in
 * the Rust crate crates/vst2-abi). It is NOT the Steinberg VST SDK and contains no text from
 * it. Names, numbers and layouts are interoperability facts; the wording is ours.
 *
 * Every struct size, field offset and constant here is checked against crates/vst2-abi by
 * crates/vst2-abi/tests/c_header.rs, which compiles static assertions against this header
 * with -m32 and -m64 (and once as C++). Change both together.
 *
 * Conventions:
 *  - VstInt32 is a 32-bit signed integer; VstIntPtr is pointer-sized on every platform,
 *    including Win64 (where C `long` is only 32 bits). Every dispatcher `value` argument and
 *    every dispatcher/callback result is a VstIntPtr.
 *  - Fields the other side writes (event type, arrangement codes, SMPTE rate, ...) are plain
 *    integers: unknown values appear in the wild, so never cast them to a C++ enum blindly.
 *  - Strings are fixed-size char arrays holding NUL-terminated text; the kVstMax*Len values
 *    are nominal sizes and both hosts and plugins overrun them in practice. A careful host
 *    hands out zeroed buffers of at least 256 bytes.
 *  - Arrays declared with a fixed length (VstEvents.events[2],
 *    VstSpeakerArrangement.speakers[8]) really hold numEvents / numChannels entries:
 *    allocate the header plus N entries.
 */
#ifndef VSTBRIDGE_VST2_H
#define VSTBRIDGE_VST2_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Calling convention                                                                    */
/* ------------------------------------------------------------------------------------ */

/*
 * Every function crossing the ABI (entry point, dispatcher, process functions, parameter
 * accessors, host callback) uses the platform C convention. On 32-bit Windows that must be
 * cdecl (caller cleans the stack), never stdcall; elsewhere there is only one convention.
 * Define VST2_CALL yourself before including this header to override.
 */
#ifndef VST2_CALL
#if defined(_WIN32) && !defined(_WIN64) && (defined(_MSC_VER) || defined(__MINGW32__))
#define VST2_CALL __cdecl
#else
#define VST2_CALL
#endif
#endif

/* ------------------------------------------------------------------------------------ */
/* Basic types                                                                           */
/* ------------------------------------------------------------------------------------ */

typedef int32_t VstInt32;  /* 32-bit signed: opcodes, indices, counts, flags */
typedef intptr_t VstIntPtr; /* pointer-sized signed: `value` arguments and results */

typedef struct AEffect AEffect;

/* ------------------------------------------------------------------------------------ */
/* Function pointer types                                                                */
/* ------------------------------------------------------------------------------------ */

/* Host -> plugin opcode entry (AEffect.dispatcher): effect, opcode (eff*), index, value,
 * ptr, opt. The meaning of the arguments and the result depends on the opcode. */
typedef VstIntPtr(VST2_CALL *Vst2DispatcherProc)(AEffect *effect, VstInt32 opcode,
                                                 VstInt32 index, VstIntPtr value, void *ptr,
                                                 float opt);

/* Plugin -> host callback, same shape (opcodes audioMaster*). `effect` may be NULL, or an
 * AEffect the host has not received yet, while the plugin's entry point is running. */
typedef VstIntPtr(VST2_CALL *audioMasterCallback)(AEffect *effect, VstInt32 opcode,
                                                  VstInt32 index, VstIntPtr value, void *ptr,
                                                  float opt);

/* process (deprecated, adds into the outputs) and processReplacing (overwrites them):
 * arrays of numInputs / numOutputs channel pointers and a frame count. The input and
 * output buffers may alias. */
typedef void(VST2_CALL *Vst2ProcessProc)(AEffect *effect, float **inputs, float **outputs,
                                         VstInt32 sampleFrames);

/* processDoubleReplacing: like Vst2ProcessProc with double samples. */
typedef void(VST2_CALL *Vst2ProcessDoubleProc)(AEffect *effect, double **inputs,
                                               double **outputs, VstInt32 sampleFrames);

/* setParameter(effect, index, normalized value in [0, 1]). */
typedef void(VST2_CALL *Vst2SetParameterProc)(AEffect *effect, VstInt32 index, float value);

/* getParameter(effect, index) -> normalized value in [0, 1]. */
typedef float(VST2_CALL *Vst2GetParameterProc)(AEffect *effect, VstInt32 index);

/* The exported entry point (VSTPluginMain; legacy aliases main, main_macho): creates one
 * plugin instance per call and returns its AEffect, or NULL on failure. */
typedef AEffect *(VST2_CALL *Vst2PluginEntryProc)(audioMasterCallback hostCallback);

/* ------------------------------------------------------------------------------------ */
/* AEffect                                                                               */
/* ------------------------------------------------------------------------------------ */

/* AEffect.magic: the characters 'V','s','t','P' packed big-endian into an int. */
enum Vst2Magic { kEffectMagic = 0x56737450 };

/*
 * The plugin instance as the host sees it: allocated by the plugin, at a fixed address
 * until effClose has returned. 144 bytes on 32-bit, 192 on 64-bit (padding after `magic`
 * and `flags` on 64-bit). A host reads nothing past processDoubleReplacing.
 */
struct AEffect {
    VstInt32 magic;                             /* kEffectMagic; check it first */
    Vst2DispatcherProc dispatcher;              /* host -> plugin opcodes */
    Vst2ProcessProc process;                    /* deprecated accumulating process */
    Vst2SetParameterProc setParameter;
    Vst2GetParameterProc getParameter;
    VstInt32 numPrograms;
    VstInt32 numParams;
    VstInt32 numInputs;                         /* may change: audioMasterIOChanged */
    VstInt32 numOutputs;
    VstInt32 flags;                             /* effFlags* bits; 32-bit, not pointer-sized */
    VstIntPtr resvd1;                           /* reserved for the host */
    VstIntPtr resvd2;                           /* reserved for the host */
    VstInt32 initialDelay;                      /* latency in samples */
    VstInt32 realQualities;                     /* deprecated, 0 */
    VstInt32 offQualities;                      /* deprecated, 0 */
    float ioRatio;                              /* deprecated, 1.0 */
    void *object;                               /* the plugin's own instance pointer */
    void *user;                                 /* contested: some hosts overwrite it */
    VstInt32 uniqueID;                          /* four-character code, big-endian packed */
    VstInt32 version;                           /* plugin version */
    Vst2ProcessProc processReplacing;           /* float processing; mandatory in 2.4 */
    Vst2ProcessDoubleProc processDoubleReplacing; /* double processing; may be NULL */
    unsigned char future[56];                   /* reserved, zero */
};

/* AEffect.flags bits. The deprecated ones are listed so logs can name them. */
enum Vst2EffectFlags {
    effFlagsHasEditor = 1 << 0,           /* has its own editor (effEdit*) */
    effFlagsHasClip = 1 << 1,             /* deprecated */
    effFlagsHasVu = 1 << 2,               /* deprecated */
    effFlagsCanMono = 1 << 3,             /* deprecated */
    effFlagsCanReplacing = 1 << 4,        /* processReplacing is valid; required in 2.4 */
    effFlagsProgramChunks = 1 << 5,       /* state saved as opaque chunks */
    effFlagsIsSynth = 1 << 8,             /* instrument */
    effFlagsNoSoundInStop = 1 << 9,       /* silence in gives silence out (no tail) */
    effFlagsExtIsAsync = 1 << 10,         /* deprecated */
    effFlagsExtHasBuffer = 1 << 11,       /* deprecated */
    effFlagsCanDoubleReplacing = 1 << 12  /* processDoubleReplacing is valid */
};

/* ------------------------------------------------------------------------------------ */
/* Dispatcher opcodes (host -> plugin), 0..79                                            */
/* Unknown opcodes must be answered with 0.                                              */
/* ------------------------------------------------------------------------------------ */

enum Vst2EffectOpcode {
    /* Lifecycle. The plugin may free its AEffect inside effClose. */
    effOpen = 0,
    effClose = 1,

    /* Programs: value = program index; ptr = name buffer (nominal kVstMaxProgNameLen). */
    effSetProgram = 2,
    effGetProgram = 3,
    effSetProgramName = 4,
    effGetProgramName = 5,

    /* Parameter strings: index = parameter; ptr = out buffer (nominal kVstMaxParamStrLen). */
    effGetParamLabel = 6,
    effGetParamDisplay = 7,
    effGetParamName = 8,
    effGetVu = 9, /* deprecated */

    /* Audio setup: opt = sample rate; value = maximum block size; value = 1 resume, 0
     * suspend. */
    effSetSampleRate = 10,
    effSetBlockSize = 11,
    effMainsChanged = 12,

    /* Editor. effEditGetRect: ptr = ERect** the plugin points at its own rect.
     * effEditOpen: ptr = native parent (HWND, NSView*, X11 window id as a pointer value).
     * effEditIdle is sent periodically on the GUI thread. The rest are deprecated. */
    effEditGetRect = 13,
    effEditOpen = 14,
    effEditClose = 15,
    effEditDraw = 16,
    effEditMouse = 17,
    effEditKey = 18,
    effEditIdle = 19,
    effEditTop = 20,
    effEditSleep = 21,
    effIdentify = 22, /* deprecated; many plugins answer kVstIdentifyAnswer */

    /* Chunks: index = 0 bank / 1 program. Get: ptr = void** set to plugin-owned data,
     * returns the size. Set: value = size, ptr = host-owned data. */
    effGetChunk = 23,
    effSetChunk = 24,

    /* Events for the coming block: ptr = VstEvents*. */
    effProcessEvents = 25,

    /* Parameters and programs (index = parameter or program). */
    effCanBeAutomated = 26,
    effString2Parameter = 27,
    effGetNumProgramCategories = 28, /* deprecated */
    effGetProgramNameIndexed = 29,
    effCopyProgram = 30,             /* deprecated */
    effConnectInput = 31,            /* deprecated */
    effConnectOutput = 32,           /* deprecated */

    /* Pins (index = pin; ptr = VstPinProperties*) and the plugin category. */
    effGetInputProperties = 33,
    effGetOutputProperties = 34,
    effGetPlugCategory = 35,

    /* Deprecated position/buffer queries, offline processing and variable I/O. */
    effGetCurrentPosition = 36,
    effGetDestinationBuffer = 37,
    effOfflineNotify = 38,
    effOfflinePrepare = 39,
    effOfflineRun = 40,
    effProcessVarIo = 41,

    /* Speaker arrangement (value = input VstSpeakerArrangement* as an integer, ptr =
     * output) and soft bypass (value = 1 bypass). */
    effSetSpeakerArrangement = 42,
    effSetBlockSizeAndSampleRate = 43, /* deprecated */
    effSetBypass = 44,

    /* Identity strings (ptr = out buffer), vendor extensions, feature queries, tail. */
    effGetEffectName = 45,
    effGetErrorText = 46, /* deprecated */
    effGetVendorString = 47,
    effGetProductString = 48,
    effGetVendorVersion = 49,
    effVendorSpecific = 50,
    effCanDo = 51,        /* ptr = feature string; 1 yes, 0 don't know, -1 no */
    effGetTailSize = 52,  /* 0 = not reported, 1 = no tail */
    effIdle = 53,         /* deprecated, still sent by some hosts */
    effGetIcon = 54,      /* deprecated */
    effSetViewPosition = 55, /* deprecated */

    /* Parameter properties, keyboard, version, editor keys, knob mode. */
    effGetParameterProperties = 56, /* index = parameter; ptr = VstParameterProperties* */
    effKeysRequired = 57,           /* deprecated */
    effGetVstVersion = 58,          /* 2400 for 2.4 plugins */
    effEditKeyDown = 59,            /* index = character, value = virtual key, opt = mods */
    effEditKeyUp = 60,
    effSetEditKnobMode = 61,        /* value = 0 circular, 1 relative circular, 2 linear */

    /* MIDI program and key names: index = MIDI channel; ptr = the Midi* structs below. */
    effGetMidiProgramName = 62,
    effGetCurrentMidiProgram = 63,
    effGetMidiProgramCategory = 64,
    effHasMidiProgramsChanged = 65,
    effGetMidiKeyName = 66,

    /* Brackets around a program change. */
    effBeginSetProgram = 67,
    effEndSetProgram = 68,

    /* value and ptr = addresses of pointer slots the plugin fills with its own structs. */
    effGetSpeakerArrangement = 69,

    /* Shell plugins: ptr = name buffer; returns the next sub-plugin ID, 0 at the end. */
    effShellGetNextPlugin = 70,

    /* Around the processing run. */
    effStartProcess = 71,
    effStopProcess = 72,

    /* Offline length, pan law, preset loading (ptr = VstPatchChunkInfo*), precision
     * (value = kVstProcessPrecision*), MIDI channel counts. */
    effSetTotalSampleToProcess = 73,
    effSetPanLaw = 74,
    effBeginLoadBank = 75,
    effBeginLoadProgram = 76,
    effSetProcessPrecision = 77,
    effGetNumMidiInputChannels = 78,
    effGetNumMidiOutputChannels = 79
};

/* ------------------------------------------------------------------------------------ */
/* Host callback opcodes (plugin -> host), 0..49; 5 is unused                             */
/* Many deprecated ones are still called by real plugins: answer them or return 0.       */
/* ------------------------------------------------------------------------------------ */

enum Vst2HostOpcode {
    /* Basics: automation (index = parameter, opt = value), host version (2400), the ID of
     * the (shell sub-)plugin being created, modal-loop idle, pin connection (deprecated;
     * 0 means connected). */
    audioMasterAutomate = 0,
    audioMasterVersion = 1,
    audioMasterCurrentId = 2,
    audioMasterIdle = 3,
    audioMasterPinConnected = 4,
    /* 5 is unused. */

    /* Time and events: GetTime (value = mask of kVst*Valid, returns VstTimeInfo*),
     * ProcessEvents (ptr = plugin-owned VstEvents*). */
    audioMasterWantMidi = 6, /* deprecated */
    audioMasterGetTime = 7,
    audioMasterProcessEvents = 8,
    audioMasterSetTime = 9,  /* deprecated */
    audioMasterTempoAt = 10, /* deprecated; returns BPM * 10000 */

    /* Parameters (deprecated) and I/O changes (numInputs/numOutputs/initialDelay). */
    audioMasterGetNumAutomatableParameters = 11,
    audioMasterGetParameterQuantization = 12,
    audioMasterIOChanged = 13,
    audioMasterNeedIdle = 14, /* deprecated */

    /* Editor window size (index = width, value = height) and audio setup queries. */
    audioMasterSizeWindow = 15,
    audioMasterGetSampleRate = 16,
    audioMasterGetBlockSize = 17,
    audioMasterGetInputLatency = 18,
    audioMasterGetOutputLatency = 19,

    /* Deprecated routing queries; process level (kVstProcessLevel*) and automation state
     * (kVstAutomation*). */
    audioMasterGetPreviousPlug = 20,
    audioMasterGetNextPlug = 21,
    audioMasterWillReplaceOrAccumulate = 22,
    audioMasterGetCurrentProcessLevel = 23,
    audioMasterGetAutomationState = 24,

    /* Offline processing. */
    audioMasterOfflineStart = 25,
    audioMasterOfflineRead = 26,
    audioMasterOfflineWrite = 27,
    audioMasterOfflineGetCurrentPass = 28,
    audioMasterOfflineGetCurrentMetaPass = 29,

    /* Deprecated output sample rate and speaker arrangement. */
    audioMasterSetOutputSampleRate = 30,
    audioMasterGetOutputSpeakerArrangement = 31,

    /* Host identity (ptr = out buffer, kVstMaxVendorStrLen / kVstMaxProductStrLen; do not
     * rely on the result), vendor extensions, feature queries, language. */
    audioMasterGetVendorString = 32,
    audioMasterGetProductString = 33,
    audioMasterGetVendorVersion = 34,
    audioMasterVendorSpecific = 35,
    audioMasterSetIcon = 36, /* deprecated */
    audioMasterCanDo = 37,   /* ptr = feature string; 1 yes, 0 no/unknown */
    audioMasterGetLanguage = 38,

    /* Windows (deprecated), plugin directory, display refresh, edit gestures (index =
     * parameter). */
    audioMasterOpenWindow = 39,
    audioMasterCloseWindow = 40,
    audioMasterGetDirectory = 41,
    audioMasterUpdateDisplay = 42,
    audioMasterBeginEdit = 43,
    audioMasterEndEdit = 44,

    /* File selector (ptr = VstFileSelect*) and deprecated file helpers. */
    audioMasterOpenFileSelector = 45,
    audioMasterCloseFileSelector = 46,
    audioMasterEditFile = 47,
    audioMasterGetChunkFile = 48,
    audioMasterGetInputSpeakerArrangement = 49
};

/* Non-standard opcode and indices REAPER uses for its extensions (out of int range, so
 * macros). Any other host answers 0. */
#define VST2_COCKOS_FUNCTION_LOOKUP ((VstInt32)0xDEADBEEFu)
#define VST2_COCKOS_FUNCTION_LOOKUP_INDEX ((VstInt32)0xDEADF00Du)
#define VST2_COCKOS_VENDOR_SPECIFIC_INDEX ((VstInt32)0xDEADBEF0u)

/* ------------------------------------------------------------------------------------ */
/* Miscellaneous constants                                                               */
/* ------------------------------------------------------------------------------------ */

enum Vst2Version {
    kVstVersion = 2400,              /* effGetVstVersion / audioMasterVersion for 2.4 */
    kVstIdentifyAnswer = 0x4E764566  /* 'NvEf', what many plugins return to effIdentify */
};

/* Nominal string buffer sizes. Real plugins and hosts exceed them. */
enum Vst2StringLengths {
    kVstMaxProgNameLen = 24,
    kVstMaxParamStrLen = 8,
    kVstMaxVendorStrLen = 64,
    kVstMaxProductStrLen = 64,
    kVstMaxEffectNameLen = 32,
    kVstMaxLabelLen = 64,
    kVstMaxShortLabelLen = 8,
    kVstMaxCategLabelLen = 24,
    kVstMaxNameLen = 64,
    kVstFileTypeNameLen = 128 /* VstFileType.name; disputed (100 in one source) */
};

/* effGetPlugCategory results. */
enum Vst2PlugCategory {
    kPlugCategUnknown = 0,
    kPlugCategEffect = 1,
    kPlugCategSynth = 2,
    kPlugCategAnalysis = 3,
    kPlugCategMastering = 4,
    kPlugCategSpacializer = 5,
    kPlugCategRoomFx = 6,
    kPlugCategSurroundFx = 7,
    kPlugCategRestoration = 8,
    kPlugCategOfflineProcess = 9,
    kPlugCategShell = 10, /* one binary, many plugins: see effShellGetNextPlugin */
    kPlugCategGenerator = 11
};

/* audioMasterGetCurrentProcessLevel results. Treat Unknown as "maybe realtime". */
enum Vst2ProcessLevel {
    kVstProcessLevelUnknown = 0,
    kVstProcessLevelUser = 1,     /* GUI thread */
    kVstProcessLevelRealtime = 2, /* audio thread */
    kVstProcessLevelPrefetch = 3,
    kVstProcessLevelOffline = 4
};

/* audioMasterGetAutomationState results. */
enum Vst2AutomationState {
    kVstAutomationUnsupported = 0,
    kVstAutomationOff = 1,
    kVstAutomationRead = 2,
    kVstAutomationWrite = 3,
    kVstAutomationReadWrite = 4
};

/* effSetProcessPrecision values. */
enum Vst2ProcessPrecision {
    kVstProcessPrecision32 = 0,
    kVstProcessPrecision64 = 1
};

/* ------------------------------------------------------------------------------------ */
/* Events (effProcessEvents, audioMasterProcessEvents)                                   */
/* ------------------------------------------------------------------------------------ */

/* VstEvent.type values. Only MIDI and SysEx are live; dispatch on type, not byteSize. */
enum Vst2EventType {
    kVstMidiType = 1,
    kVstAudioType = 2,     /* deprecated */
    kVstVideoType = 3,     /* deprecated */
    kVstParameterType = 4, /* deprecated */
    kVstTriggerType = 5,   /* deprecated */
    kVstSysExType = 6
};

/* VstMidiEvent.flags bits. */
enum Vst2MidiEventFlags { kVstMidiEventIsRealtime = 1 << 0 };

/* The generic event header; cast to the concrete struct by `type`. 32 bytes. */
typedef struct VstEvent {
    VstInt32 type;
    VstInt32 byteSize;    /* unreliable in the wild */
    VstInt32 deltaFrames; /* sample offset inside the current block */
    VstInt32 flags;
    unsigned char data[16];
} VstEvent;

/* A list of events: really numEvents pointers, whatever the declared length. */
typedef struct VstEvents {
    VstInt32 numEvents;
    VstIntPtr reserved;
    VstEvent *events[2];
} VstEvents;

/* A short MIDI message (kVstMidiType). 32 bytes. */
typedef struct VstMidiEvent {
    VstInt32 type;
    VstInt32 byteSize;
    VstInt32 deltaFrames;
    VstInt32 flags;            /* kVstMidiEventIsRealtime */
    VstInt32 noteLength;       /* samples, 0 if unknown */
    VstInt32 noteOffset;       /* samples into the note, 0 if unknown */
    unsigned char midiData[4]; /* status, data1, data2, 0 */
    int8_t detune;             /* cents */
    uint8_t noteOffVelocity;
    uint8_t reserved1;
    uint8_t reserved2;
} VstMidiEvent;

/* A SysEx dump (kVstSysExType). 32 bytes on 32-bit, 48 on 64-bit. */
typedef struct VstMidiSysexEvent {
    VstInt32 type;
    VstInt32 byteSize;
    VstInt32 deltaFrames;
    VstInt32 flags;
    VstInt32 dumpBytes; /* length of sysexDump; 32-bit, followed by padding on 64-bit */
    VstIntPtr resvd1;
    unsigned char *sysexDump; /* owned by the sender */
    VstIntPtr resvd2;
} VstMidiSysexEvent;

/* ------------------------------------------------------------------------------------ */
/* Time info (audioMasterGetTime)                                                        */
/* ------------------------------------------------------------------------------------ */

/* VstTimeInfo.flags bits; also the request mask passed as `value` to audioMasterGetTime. */
enum Vst2TimeInfoFlags {
    kVstTransportChanged = 1 << 0,
    kVstTransportPlaying = 1 << 1,
    kVstTransportCycleActive = 1 << 2,
    kVstTransportRecording = 1 << 3,
    kVstAutomationWriting = 1 << 6,
    kVstAutomationReading = 1 << 7,
    kVstNanosValid = 1 << 8,
    kVstPpqPosValid = 1 << 9,
    kVstTempoValid = 1 << 10,
    kVstBarsValid = 1 << 11,
    kVstCyclePosValid = 1 << 12,
    kVstTimeSigValid = 1 << 13,
    kVstSmpteValid = 1 << 14,
    kVstClockValid = 1 << 15
};

/* VstTimeInfo.smpteFrameRate codes (8 and 9 unused). Any value may appear. */
enum Vst2SmpteFrameRate {
    kVstSmpte24fps = 0,
    kVstSmpte25fps = 1,
    kVstSmpte2997fps = 2,
    kVstSmpte30fps = 3,
    kVstSmpte2997dfps = 4,
    kVstSmpte30dfps = 5,
    kVstSmpteFilm16mm = 6,
    kVstSmpteFilm35mm = 7,
    kVstSmpte239fps = 10,
    kVstSmpte249fps = 11,
    kVstSmpte599fps = 12,
    kVstSmpte60fps = 13
};

/* Transport snapshot at the start of the current block. 88 bytes. */
typedef struct VstTimeInfo {
    double samplePos;  /* always valid */
    double sampleRate; /* always valid */
    double nanoSeconds;
    double ppqPos;
    double tempo;
    double barStartPos;
    double cycleStartPos;
    double cycleEndPos;
    VstInt32 timeSigNumerator;
    VstInt32 timeSigDenominator;
    VstInt32 smpteOffset;        /* 1/80 frame */
    VstInt32 smpteFrameRate;     /* kVstSmpte*, garbage unless kVstSmpteValid */
    VstInt32 samplesToNextClock; /* may be negative */
    VstInt32 flags;              /* Vst2TimeInfoFlags */
} VstTimeInfo;

/* ------------------------------------------------------------------------------------ */
/* Editor (effEditGetRect)                                                               */
/* ------------------------------------------------------------------------------------ */

/* Field order top, left, bottom, right. 8 bytes. */
typedef struct ERect {
    int16_t top;
    int16_t left;
    int16_t bottom;
    int16_t right;
} ERect;

/* ------------------------------------------------------------------------------------ */
/* Parameter properties (effGetParameterProperties)                                      */
/* ------------------------------------------------------------------------------------ */

enum Vst2ParameterFlags {
    kVstParameterIsSwitch = 1 << 0,
    kVstParameterUsesIntegerMinMax = 1 << 1,
    kVstParameterUsesFloatStep = 1 << 2,
    kVstParameterUsesIntStep = 1 << 3,
    kVstParameterSupportsDisplayIndex = 1 << 4,
    kVstParameterSupportsDisplayCategory = 1 << 5,
    kVstParameterCanRamp = 1 << 6
};

/* 152 bytes; the host passes it zeroed. */
typedef struct VstParameterProperties {
    float stepFloat;
    float smallStepFloat;
    float largeStepFloat;
    char label[kVstMaxLabelLen];
    VstInt32 flags; /* Vst2ParameterFlags */
    VstInt32 minInteger;
    VstInt32 maxInteger;
    VstInt32 stepInteger;
    VstInt32 largeStepInteger;
    char shortLabel[kVstMaxShortLabelLen];
    int16_t displayIndex;
    int16_t category; /* 0 = none, else group index + 1 */
    int16_t numParametersInCategory;
    int16_t reserved;
    char categoryLabel[kVstMaxCategLabelLen];
    unsigned char future[16];
} VstParameterProperties;

/* ------------------------------------------------------------------------------------ */
/* Pins (effGetInputProperties, effGetOutputProperties)                                  */
/* ------------------------------------------------------------------------------------ */

enum Vst2PinFlags {
    kVstPinIsActive = 1 << 0,
    kVstPinIsStereo = 1 << 1,  /* first channel of a stereo pair */
    kVstPinUseSpeaker = 1 << 2 /* arrangementType is valid */
};

/* 128 bytes; hosts always provide all of them. */
typedef struct VstPinProperties {
    char label[kVstMaxLabelLen];
    VstInt32 flags;           /* Vst2PinFlags */
    VstInt32 arrangementType; /* kSpeakerArr* */
    char shortLabel[kVstMaxShortLabelLen];
    unsigned char future[48];
} VstPinProperties;

/* ------------------------------------------------------------------------------------ */
/* Speaker arrangements (effSetSpeakerArrangement, effGetSpeakerArrangement)             */
/* ------------------------------------------------------------------------------------ */

/* VstSpeakerArrangement.type and VstPinProperties.arrangementType codes. */
enum Vst2SpeakerArrangementType {
    kSpeakerArrUserDefined = -2,
    kSpeakerArrEmpty = -1,
    kSpeakerArrMono = 0,
    kSpeakerArrStereo = 1,
    kSpeakerArrStereoSurround = 2, /* Ls Rs */
    kSpeakerArrStereoCenter = 3,   /* Lc Rc */
    kSpeakerArrStereoSide = 4,     /* Sl Sr */
    kSpeakerArrStereoCLfe = 5,     /* C Lfe */
    kSpeakerArr30Cine = 6,
    kSpeakerArr30Music = 7,
    kSpeakerArr31Cine = 8,
    kSpeakerArr31Music = 9,
    kSpeakerArr40Cine = 10,
    kSpeakerArr40Music = 11,
    kSpeakerArr41Cine = 12,
    kSpeakerArr41Music = 13,
    kSpeakerArr50 = 14,
    kSpeakerArr51 = 15,
    kSpeakerArr60Cine = 16,
    kSpeakerArr60Music = 17,
    kSpeakerArr61Cine = 18,
    kSpeakerArr61Music = 19,
    kSpeakerArr70Cine = 20,
    kSpeakerArr70Music = 21,
    kSpeakerArr71Cine = 22,
    kSpeakerArr71Music = 23,
    kSpeakerArr80Cine = 24,
    kSpeakerArr80Music = 25,
    kSpeakerArr81Cine = 26,
    kSpeakerArr81Music = 27,
    kSpeakerArr102 = 28
};

/* VstSpeakerProperties.type codes (3..19 come from a single source). */
enum Vst2SpeakerType {
    kSpeakerM = 0,
    kSpeakerL = 1,
    kSpeakerR = 2,
    kSpeakerC = 3,
    kSpeakerLfe = 4,
    kSpeakerLs = 5,
    kSpeakerRs = 6,
    kSpeakerLc = 7,
    kSpeakerRc = 8,
    kSpeakerS = 9,
    kSpeakerSl = 10,
    kSpeakerSr = 11,
    kSpeakerTm = 12,
    kSpeakerTfl = 13,
    kSpeakerTfc = 14,
    kSpeakerTfr = 15,
    kSpeakerTrl = 16,
    kSpeakerTrc = 17,
    kSpeakerTrr = 18,
    kSpeakerLfe2 = 19
};

/* One speaker. 112 bytes. */
typedef struct VstSpeakerProperties {
    float azimuth;
    float elevation;
    float radius;
    float reserved;
    char name[kVstMaxNameLen];
    VstInt32 type; /* Vst2SpeakerType */
    unsigned char future[28];
} VstSpeakerProperties;

/* A header plus numChannels speakers: 8 + 112 * N bytes (904 as declared). Hosts send up
 * to 64 speakers, so never assume 8. */
typedef struct VstSpeakerArrangement {
    VstInt32 type; /* Vst2SpeakerArrangementType */
    VstInt32 numChannels;
    VstSpeakerProperties speakers[8];
} VstSpeakerArrangement;

/* ------------------------------------------------------------------------------------ */
/* MIDI program and key names (effGetMidiProgramName ... effGetMidiKeyName)              */
/* These layouts fit the observed facts but come from no primary source.                 */
/* ------------------------------------------------------------------------------------ */

/* 80 bytes. */
typedef struct MidiProgramName {
    VstInt32 thisProgramIndex; /* set by the host */
    char name[kVstMaxNameLen];
    int8_t midiProgram; /* -1 if unused */
    int8_t midiBankMsb; /* -1 if unused */
    int8_t midiBankLsb; /* -1 if unused */
    int8_t reserved;
    VstInt32 parentCategoryIndex; /* -1 if none */
    VstInt32 flags;
} MidiProgramName;

/* 76 bytes. */
typedef struct MidiProgramCategory {
    VstInt32 thisCategoryIndex; /* set by the host */
    char name[kVstMaxNameLen];
    VstInt32 parentCategoryIndex; /* -1 if none */
    VstInt32 flags;
} MidiProgramCategory;

/* 80 bytes. */
typedef struct MidiKeyName {
    VstInt32 thisProgramIndex; /* set by the host */
    VstInt32 thisKeyNumber;    /* set by the host */
    char keyName[kVstMaxNameLen];
    VstInt32 reserved;
    VstInt32 flags;
} MidiKeyName;

/* ------------------------------------------------------------------------------------ */
/* Preset loading (effBeginLoadBank, effBeginLoadProgram)                                */
/* ------------------------------------------------------------------------------------ */

/* 64 bytes. */
typedef struct VstPatchChunkInfo {
    VstInt32 version; /* 1 */
    VstInt32 pluginUniqueID;
    VstInt32 pluginVersion;
    VstInt32 numElements; /* programs in a bank, or parameters in a program */
    unsigned char future[48];
} VstPatchChunkInfo;

/* ------------------------------------------------------------------------------------ */
/* File selector (audioMasterOpenFileSelector, audioMasterCloseFileSelector)             */
/* ------------------------------------------------------------------------------------ */

/* VstFileSelect.command values. */
enum Vst2FileSelectCommand {
    kVstFileLoad = 0,
    kVstFileSave = 1,
    kVstMultipleFilesLoad = 2,
    kVstDirectorySelect = 3
};

/* One offered file type. 408 bytes (with the disputed 128-byte name). */
typedef struct VstFileType {
    char name[kVstFileTypeNameLen];
    char macType[8];
    char dosType[8];
    char unixType[8];
    char mimeType1[128];
    char mimeType2[128];
} VstFileType;

/* 1184 bytes on 32-bit, 1216 on 64-bit. */
typedef struct VstFileSelect {
    VstInt32 command; /* Vst2FileSelectCommand */
    VstInt32 type;    /* 0 = regular file */
    VstInt32 macCreator;
    VstInt32 nbFileTypes;
    VstFileType *fileTypes; /* nbFileTypes entries */
    char title[1024];
    char *initialPath;
    char *returnPath; /* single selection */
    VstInt32 sizeReturnPath;
    char **returnMultiplePaths;
    VstInt32 nbReturnPath;
    VstIntPtr reserved;
    unsigned char future[116];
} VstFileSelect;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VSTBRIDGE_VST2_H */
