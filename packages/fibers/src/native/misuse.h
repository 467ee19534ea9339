// The errors both backends give for misuse, with their codes and messages in
// one place.
#pragma once

#include <v8.h>

namespace greenpatch {

// Throws an Error (or TypeError) with a `code` property into `isolate`.
void ThrowCoded(v8::Isolate* isolate, const char* code, const char* message, bool type_error = false);

// The checks resume(value, throwing, fn) makes before entering a fiber:
// `running`, the fiber is running or waiting for one it resumed; `starting`,
// it is new or finished, so resume() starts `fn`. Returns false, with an
// Error pending, when the call is misuse.
bool CheckResume(v8::Isolate* isolate, bool running, bool starting, bool throwing, v8::Local<v8::Value> fn,
                 bool shutting_down);

}  // namespace greenpatch
