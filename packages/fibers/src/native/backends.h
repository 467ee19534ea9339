// The two engine backends behind one JavaScript surface: each fills an
// exports object with Coroutine, suspend, settings and backend (see
// src/binding.ts). addon.cc picks one per Node thread.
#pragma once

#include <v8.h>

#include <string>

namespace greenpatch {

// native (binding.cc): fibers on stacks of their own, V8's thread state
// swapped, by the direct switch where it passes its load checks unless
// `switch_path` is "locker" (then, or where it fails, with v8::Locker).
// False with *error set when this Node build cannot support it.
bool InitNativeBackend(v8::Local<v8::Context> context, v8::Local<v8::Object> exports, const std::string& switch_path,
                       std::string* error);
// True once the native backend started on this thread.
bool NativeBackendRunning();

// threads (thread_binding.cc): each fiber on an OS thread, public V8 API only.
void InitThreadsBackend(v8::Local<v8::Context> context, v8::Local<v8::Object> exports);
// True on a Node thread that started it, and on its fibers' threads.
bool ThreadsBackendRunning();

}  // namespace greenpatch
