// Calls into a plugin with a C++ catch-all around them. A C++ exception escaping a plugin
// function would otherwise unwind into Rust frames, which cannot catch a foreign exception
// and abort the whole process; hosts written in C++ survive such a plugin, so must we.
// Each function returns the plugin's result, or sets *thrown and returns the neutral value.
// The try blocks cost nothing until something throws (table-based unwinding).
//
// No headers: the types are spelled out (the plugin's functions are plain C ABI).

typedef __INTPTR_TYPE__ vb_intptr;
struct vb_effect;
typedef vb_intptr (*vb_dispatcher)(vb_effect*, int, int, vb_intptr, void*, float);
typedef void (*vb_process_f32)(vb_effect*, float**, float**, int);
typedef void (*vb_process_f64)(vb_effect*, double**, double**, int);
typedef void (*vb_set_parameter)(vb_effect*, int, float);
typedef float (*vb_get_parameter)(vb_effect*, int);
typedef vb_effect* (*vb_entry)(void*);

extern "C" {

vb_intptr vstbridge_guarded_dispatch(vb_dispatcher function, vb_effect* effect, int opcode, int index,
                                     vb_intptr value, void* ptr, float opt, int* thrown) {
    try {
        return function(effect, opcode, index, value, ptr, opt);
    } catch (...) {
        *thrown = 1;
        return 0;
    }
}

void vstbridge_guarded_process_f32(vb_process_f32 function, vb_effect* effect, float** inputs, float** outputs,
                                   int frames, int* thrown) {
    try {
        function(effect, inputs, outputs, frames);
    } catch (...) {
        *thrown = 1;
    }
}

void vstbridge_guarded_process_f64(vb_process_f64 function, vb_effect* effect, double** inputs, double** outputs,
                                   int frames, int* thrown) {
    try {
        function(effect, inputs, outputs, frames);
    } catch (...) {
        *thrown = 1;
    }
}

void vstbridge_guarded_set_parameter(vb_set_parameter function, vb_effect* effect, int index, float value,
                                     int* thrown) {
    try {
        function(effect, index, value);
    } catch (...) {
        *thrown = 1;
    }
}

float vstbridge_guarded_get_parameter(vb_get_parameter function, vb_effect* effect, int index, int* thrown) {
    try {
        return function(effect, index);
    } catch (...) {
        *thrown = 1;
        return 0.0f;
    }
}

vb_effect* vstbridge_guarded_entry(vb_entry function, void* host_callback, int* thrown) {
    try {
        return function(host_callback);
    } catch (...) {
        *thrown = 1;
        return 0;
    }
}

}  // extern "C"
