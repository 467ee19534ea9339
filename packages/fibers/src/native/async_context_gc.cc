#include "async_context_gc.h"

#include "async_context.h"

namespace greenpatch {

#if V8_MAJOR_VERSION >= 13
namespace {

// One per isolate, for its whole life (the callbacks outlive any engine
// object; a worker's isolate takes its callbacks with it).
struct Stash {
  v8::Global<AsyncContextHold::Held> value;
};

// Whether this thread may use the isolate: not so in the collection V8
// makes while it tears the isolate down at exit (Isolate::Deinit), where
// the isolate's lock is not held by the thread and a HandleScope aborts
// the process ("Entering the V8 API without proper locking"). No
// JavaScript runs there again, so there is no context to keep.
bool MayUseIsolate(v8::Isolate* isolate) { return v8::Locker::IsLocked(isolate); }

void BeforeCollection(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
  if (!MayUseIsolate(isolate)) return;
  Stash* stash = static_cast<Stash*>(data);
  v8::HandleScope scope(isolate);
  auto value = AsyncContextHold::Get(isolate);
  if (AsyncContextHold::IsUndefined(value)) return;
  stash->value.Reset(isolate, value);
  AsyncContextHold::Set(isolate, v8::Undefined(isolate));
}

void AfterCollection(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
  Stash* stash = static_cast<Stash*>(data);
  if (stash->value.IsEmpty() || !MayUseIsolate(isolate)) return;
  v8::HandleScope scope(isolate);
  AsyncContextHold::Set(isolate, stash->value.Get(isolate));
  stash->value.Reset();
}

thread_local v8::Isolate* t_guarded = nullptr;

}  // namespace

void GuardAsyncContextDuringCollections(v8::Isolate* isolate) {
  if (t_guarded == isolate) return;
  t_guarded = isolate;
  auto* stash = new Stash();
  // The collections that move objects; not the weak-callback phase, in
  // which embedder code may run and should see the context as it is.
  const auto moving = static_cast<v8::GCType>(v8::kGCTypeScavenge | v8::kGCTypeMinorMarkSweep |
                                              v8::kGCTypeMarkSweepCompact);
  isolate->AddGCPrologueCallback(BeforeCollection, stash, moving);
  isolate->AddGCEpilogueCallback(AfterCollection, stash, moving);
}
#else
// Before V8 13 the context is kept in the native context, an ordinary
// object visited once.
void GuardAsyncContextDuringCollections(v8::Isolate*) {}
#endif

}  // namespace greenpatch
