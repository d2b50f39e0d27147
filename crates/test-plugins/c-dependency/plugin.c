/* test_plugin_with_dependency ('VbDp'): a stereo effect that multiplies by the gain a DLL
 * beside it exports (vstbridge_test_dependency.dll). A host that loads it without adding
 * the plugin's folder to the DLL search path (LoadLibraryExW's
 * LOAD_WITH_ALTERED_SEARCH_PATH) fails to load it. Written against include/vst2.h. */
#include <stdlib.h>
#include <string.h>

#include "vst2.h"

__declspec(dllimport) float vstbridge_test_dependency_gain(void);

static VstIntPtr VST2_CALL dispatcher(AEffect *effect, VstInt32 opcode, VstInt32 index,
                                      VstIntPtr value, void *ptr, float opt) {
    (void)index; (void)value; (void)ptr; (void)opt;
    if (opcode == effClose) {
        free(effect);
    }
    return 0;
}

static void VST2_CALL process_replacing(AEffect *effect, float **inputs, float **outputs,
                                        VstInt32 frames) {
    (void)effect;
    float gain = vstbridge_test_dependency_gain();
    for (int channel = 0; channel < 2; ++channel) {
        for (VstInt32 i = 0; i < frames; ++i) {
            outputs[channel][i] = inputs[channel][i] * gain;
        }
    }
}

static void VST2_CALL set_parameter(AEffect *effect, VstInt32 index, float value) {
    (void)effect; (void)index; (void)value;
}

static float VST2_CALL get_parameter(AEffect *effect, VstInt32 index) {
    (void)effect; (void)index;
    return 0.0f;
}

__declspec(dllexport) AEffect *VSTPluginMain(audioMasterCallback host) {
    (void)host;
    AEffect *effect = calloc(1, sizeof(AEffect));
    if (!effect) {
        return NULL;
    }
    effect->magic = kEffectMagic;
    effect->dispatcher = dispatcher;
    effect->setParameter = set_parameter;
    effect->getParameter = get_parameter;
    effect->numInputs = 2;
    effect->numOutputs = 2;
    effect->flags = effFlagsCanReplacing;
    effect->ioRatio = 1.0f;
    effect->uniqueID = ('V' << 24) | ('b' << 16) | ('D' << 8) | 'p';
    effect->version = 1;
    effect->processReplacing = process_replacing;
    return effect;
}
