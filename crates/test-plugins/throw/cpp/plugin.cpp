// The throwing test plugin (see src/lib.rs for what it does). Plain C++ against the
// project's clean-room C header, as a third-party C++ plugin would be.

#include "vst2.h"

#include <stdexcept>
#include <cstring>

namespace {

struct Thrower {
    AEffect effect;
    float parameter = 0.0f;
};

Thrower* self(AEffect* effect) { return static_cast<Thrower*>(effect->object); }

VstIntPtr VST2_CALL dispatch(AEffect* effect, VstInt32 opcode, VstInt32 index, VstIntPtr, void* ptr, float) {
    switch (opcode) {
    case effClose:
        delete self(effect);
        return 1;
    case effGetParamDisplay:
        if (index == 0) throw std::runtime_error("no display for you");
        return 0;
    case effGetParamName:
        if (ptr) std::strcpy(static_cast<char*>(ptr), "Throw");
        return 1;
    case effGetVendorVersion:
        throw 42;
    case effGetEffectName:
        if (ptr) std::strcpy(static_cast<char*>(ptr), "Thrower");
        return 1;
    default:
        return 0;
    }
}

void VST2_CALL process_replacing(AEffect* effect, float** inputs, float** outputs, VstInt32 frames) {
    if (self(effect)->parameter > 0.5f) {
        for (VstInt32 i = 0; i < frames; ++i) outputs[0][i] = 0.25f;
        throw std::logic_error("process refuses");
    }
    for (VstInt32 i = 0; i < frames; ++i) outputs[0][i] = inputs[0][i];
}

void VST2_CALL set_parameter(AEffect* effect, VstInt32 index, float value) {
    if (index == 0) self(effect)->parameter = value;
}

float VST2_CALL get_parameter(AEffect* effect, VstInt32 index) {
    return index == 0 ? self(effect)->parameter : 0.0f;
}

}  // namespace

extern "C" AEffect* throwing_plugin_main(audioMasterCallback) {
    Thrower* plugin = new Thrower();
    AEffect& e = plugin->effect;
    std::memset(&e, 0, sizeof e);
    e.magic = kEffectMagic;
    e.dispatcher = dispatch;
    e.setParameter = set_parameter;
    e.getParameter = get_parameter;
    e.processReplacing = process_replacing;
    e.numParams = 1;
    e.numInputs = 1;
    e.numOutputs = 1;
    e.flags = effFlagsCanReplacing;
    e.ioRatio = 1.0f;
    e.object = plugin;
    e.uniqueID = ('V' << 24) | ('b' << 16) | ('T' << 8) | 'h';
    e.version = 1;
    return &e;
}
