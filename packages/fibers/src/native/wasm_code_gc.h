// Turning off V8's WebAssembly code GC, which aborts the process while any
// thread state is archived (every suspended fiber is one), without changing
// V8's flag hash: a changed hash makes V8 reject the code cache of every
// builtin module loaded afterwards (see docs/engine.md, "WebAssembly code
// GC").
#pragma once

#include <string>

namespace greenpatch {

// Once per process. Returns how the flag was turned off: "in place" (the
// flag's byte written with V8's flag hash kept), or "through V8 (<why the
// byte could not be written>)" when it fell back to
// v8::V8::SetFlagsFromString, which changes the hash.
const std::string& TurnOffWasmCodeGc();

}  // namespace greenpatch
