// The direct switch's last load check, run once per thread before the first
// fiber: a fiber that suspends holding handles to new objects while the main
// flow collects all garbage, and finds them intact when resumed. It proves,
// on the running V8, that the collector visits and updates a suspended
// fiber's archived handles (docs/engine-direct-switch.md).
#pragma once

#include <v8.h>

#include <string>

namespace greenpatch {

struct Engine;

// Runs the check on `engine`, which must be switching on the direct path.
// False, with *error, when it fails.
bool SelfTestSuspendedFiber(Engine* engine, v8::Local<v8::Context> context, std::string* error);

// For tests: how this process's one collection under a suspended fiber went:
// "index" (the symbol index says the check passed on this V8's file), or
// "collected (<why the index was not used>)", "no collection ran", or ""
// before the first check.
std::string CollectionCheck();

}  // namespace greenpatch
