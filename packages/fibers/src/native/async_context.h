// Node 24+ (and 22 with --experimental-async-context-frame) keeps
// AsyncLocalStorage's context in V8's continuation-preserved embedder data.
// That lives on the isolate, not in the per-thread state V8 archives and
// restores when the isolate changes hands, so without help every flow of
// control would see whatever context the last one left. Each switch keeps
// the leaving flow's value on its own stack (an AsyncContextHold in the
// switching function's frame) and puts it back when that flow runs again:
// a fiber keeps its context across its yields, and its resumer keeps its
// own. A new fiber starts in its resumer's context, and so does a fiber
// that suspended saying it is idle (Fiber::Suspend's `adopt_context`).
#ifndef GREENPATCH_ASYNC_CONTEXT_H_
#define GREENPATCH_ASYNC_CONTEXT_H_

#include <v8.h>

namespace greenpatch {

class AsyncContextHold {
 public:
  // Call while the isolate is entered and locked, before leaving it.
  explicit AsyncContextHold(v8::Isolate* isolate) : isolate_(isolate) {
#if V8_MAJOR_VERSION >= 12
    v8::HandleScope scope(isolate);
    auto value = Get(isolate);
    // undefined (no context set: most programs) needs no handle.
    if (!IsUndefined(value)) value_.Reset(isolate, value);
#endif
  }

  // Call once the isolate is entered and locked again.
  void Restore() {
#if V8_MAJOR_VERSION >= 12
    v8::HandleScope scope(isolate_);
    if (value_.IsEmpty()) {
      Set(isolate_, v8::Undefined(isolate_));
    } else {
      Set(isolate_, value_.Get(isolate_));
      value_.Reset();
    }
#endif
  }

  // Instead of Restore(): the flow runs on in the context its resumer left
  // in the isolate, as a new fiber starts in it (a fiber that went idle and
  // is resumed to start a new green thread).
  void Drop() {
#if V8_MAJOR_VERSION >= 12
    value_.Reset();
#endif
  }

  // Restore(), or Drop() when `adopt`.
  void Finish(bool adopt) {
    if (adopt) {
      Drop();
    } else {
      Restore();
    }
  }

  AsyncContextHold(const AsyncContextHold&) = delete;
  AsyncContextHold& operator=(const AsyncContextHold&) = delete;

  // The isolate's slot, by major (also used by async_context_gc.cc).
#if V8_MAJOR_VERSION >= 14
  using Held = v8::Data;
  static v8::Local<v8::Data> Get(v8::Isolate* isolate) { return isolate->GetContinuationPreservedEmbedderDataV2(); }
  static void Set(v8::Isolate* isolate, v8::Local<v8::Data> value) {
    isolate->SetContinuationPreservedEmbedderDataV2(value);
  }
  static bool IsUndefined(v8::Local<v8::Data> value) {
    return value.IsEmpty() || (value->IsValue() && value.As<v8::Value>()->IsUndefined());
  }
#elif V8_MAJOR_VERSION >= 12
  using Held = v8::Value;
  static v8::Local<v8::Value> Get(v8::Isolate* isolate) { return isolate->GetContinuationPreservedEmbedderData(); }
  static void Set(v8::Isolate* isolate, v8::Local<v8::Value> value) {
    isolate->SetContinuationPreservedEmbedderData(value);
  }
  static bool IsUndefined(v8::Local<v8::Value> value) { return value.IsEmpty() || value->IsUndefined(); }
#else
  // Node 20's V8 has no isolate-wide embedder data: its AsyncLocalStorage
  // lives in async_hooks state, which the hub handles.
  using Held = v8::Value;
#endif

 private:
  v8::Isolate* isolate_;
  v8::Global<Held> value_;
};

}  // namespace greenpatch

#endif  // GREENPATCH_ASYNC_CONTEXT_H_
