#include "handoff.h"

#include "termination.h"

namespace greenpatch {

void Handoff::Set(v8::Isolate* isolate, Outcome outcome, v8::Local<v8::Value> value) {
  // undefined, what most switches carry, needs no global handle.
  if (value.IsEmpty() || value->IsUndefined()) {
    value_.Reset();
  } else {
    value_.Reset(isolate, value);
  }
  outcome_ = outcome;
}

void Handoff::CallEntry(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Function> fn) {
  v8::Local<v8::Value> arg = value_.IsEmpty() ? v8::Undefined(isolate).As<v8::Value>() : value_.Get(isolate);
  value_.Reset();
  v8::TryCatch try_catch(isolate);
  v8::MaybeLocal<v8::Value> result = fn->Call(context, v8::Undefined(isolate), 1, &arg);
  v8::Local<v8::Value> out;
  if (result.ToLocal(&out)) {
    Set(isolate, Outcome::kValue, out);
  } else if (try_catch.HasTerminated() || !try_catch.CanContinue()) {
    Set(isolate, Outcome::kTerminated, {});
  } else {
    Set(isolate, Outcome::kThrow, try_catch.Exception());
  }
}

v8::MaybeLocal<v8::Value> Handoff::Deliver(v8::Isolate* isolate, const v8::Global<v8::Function>& probe) {
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::Value> value = value_.IsEmpty() ? v8::Undefined(isolate).As<v8::Value>() : value_.Get(isolate);
  value_.Reset();
  switch (outcome_) {
    case Outcome::kValue:
      return scope.Escape(value);
    case Outcome::kThrow:
      isolate->ThrowException(value);
      return {};
    case Outcome::kTerminated:
      // Termination (worker.terminate(), process.exit() in a worker) was
      // raised on the other side; carry it on into this context.
      CarryTermination(isolate, probe);
      return {};
    case Outcome::kExit:
      // The environment is going away: unwind this fiber's JavaScript
      // (termination skips catch and finally). No JavaScript may be called
      // now, so this is only requested; the fiber's code may still run up to
      // its next call or loop iteration, or return.
      isolate->TerminateExecution();
      return {};
  }
  return {};
}

}  // namespace greenpatch
