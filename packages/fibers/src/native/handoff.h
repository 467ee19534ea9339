// What crosses a switch between a fiber and its resumer, on either backend:
// a value, and how the receiving side is to take it.
#pragma once

#include <v8.h>

namespace greenpatch {

class Handoff {
 public:
  enum class Outcome {
    kValue,       // returned by the receiving call
    kThrow,       // thrown by it
    kTerminated,  // termination raised on the sending side, carried on
    kExit,        // the environment is going away: terminate, call nothing
  };

  // Hands over `value` (empty: undefined) to be taken as `outcome` says.
  void Set(v8::Isolate* isolate, Outcome outcome, v8::Local<v8::Value> value);

  // Runs the fiber's function with what was handed in as its argument and
  // keeps what came of it: its return value, its exception, or termination.
  void CallEntry(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Function> fn);

  // Takes what was handed over, in the calling context: returns the value,
  // or leaves the exception or the termination pending and returns empty.
  // `probe` is the empty function CarryTermination() enters.
  v8::MaybeLocal<v8::Value> Deliver(v8::Isolate* isolate, const v8::Global<v8::Function>& probe);

  // Drops what was handed over (nobody will receive it).
  void Clear() { value_.Reset(); }

 private:
  v8::Global<v8::Value> value_;
  Outcome outcome_ = Outcome::kValue;
};

}  // namespace greenpatch
