// Carrying a termination (worker.terminate(), process.exit() in a worker)
// raised inside a fiber out into the context that resumed it. Both backends
// use it.
#pragma once

#include <v8.h>

namespace greenpatch {

// Compiles the empty function CarryTermination() enters. Leaves `out` empty
// should that fail; termination is then only requested.
inline void MakeTerminationProbe(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                 v8::Global<v8::Function>* out) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> probe;
  if (v8::Script::Compile(context, v8::String::NewFromUtf8Literal(isolate, "(function greenpatchProbe() {})"))
          .ToLocal(&script) &&
      script->Run(context).ToLocal(&probe) && probe->IsFunction()) {
    out->Reset(isolate, probe.As<v8::Function>());
  }
}

// Requests termination, then enters an empty JavaScript function: entering
// a function checks for interrupts, so the termination is thrown at once and
// goes on to the caller's JavaScript. Merely requesting it would let a
// resumer that returns without calling anything lose it.
inline void CarryTermination(v8::Isolate* isolate, const v8::Global<v8::Function>& probe) {
  isolate->TerminateExecution();
  if (probe.IsEmpty()) return;
  v8::HandleScope scope(isolate);
  v8::Local<v8::Function> fn = probe.Get(isolate);
  // Its result is the termination itself: nothing to look at.
  v8::MaybeLocal<v8::Value> ignored = fn->Call(isolate->GetCurrentContext(), v8::Undefined(isolate), 0, nullptr);
  (void)ignored;
}

}  // namespace greenpatch
