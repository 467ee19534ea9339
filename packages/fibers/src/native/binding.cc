// The native backend's JavaScript surface. Deliberately low level: a
// Coroutine handle with resume(), a suspend() function and a few engine
// settings. The node-fibers API (Fiber, Future) is TypeScript on top of this;
// addon.cc is the module's entry, and thread_binding.cc the other backend's
// surface.
#include <node.h>
#include <v8.h>

#include <string>

#include "async_context_gc.h"
#include "backends.h"
#include "fiber.h"
#include "misuse.h"
#include "settings.h"
#include "switch_self_test.h"
#include "termination.h"
#include "v8_compat.h"

namespace greenpatch {
namespace {

using v8::Context;
using v8::FunctionCallbackInfo;
using v8::FunctionTemplate;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::String;
using v8::Value;

Fiber* Unwrap(Engine* engine, const FunctionCallbackInfo<Value>& info) {
  Local<Object> self = info.This();
  Local<FunctionTemplate> tmpl = engine->fiber_template.Get(engine->isolate);
  if (!tmpl->HasInstance(self) || self->InternalFieldCount() < 1) {
    ThrowCoded(engine->isolate, "ERR_INVALID_THIS", "Receiver is not a Coroutine", true);
    return nullptr;
  }
  return static_cast<Fiber*>(GetInternalPointer(self));
}

void OnCollected(const v8::WeakCallbackInfo<Fiber>& info) {
  Fiber* fiber = info.GetParameter();
  fiber->handle.Reset();
  // A suspended fiber's stack is still walked by V8 (its archived thread
  // state points into it), so it must never be freed; the TypeScript layer
  // unwinds such fibers before their handles become unreachable. One left
  // here (a teardown, or a caller bypassing that layer) is leaked on purpose.
  if (fiber->state() == Fiber::State::kSuspended) return;
  delete fiber;
}

void New(const FunctionCallbackInfo<Value>& info) {
  Engine* engine = Engine::ForThisThread();
  if (!info.IsConstructCall()) {
    ThrowCoded(engine->isolate, "ERR_CONSTRUCT_CALL_REQUIRED", "Coroutine must be called with new", true);
    return;
  }
  auto* fiber = new Fiber(engine);
  SetInternalPointer(info.This(), fiber);
  fiber->handle.Reset(engine->isolate, info.This());
  fiber->handle.SetWeak(fiber, OnCollected, v8::WeakCallbackType::kParameter);
}

// resume(value, throwing, fn)
void Resume(const FunctionCallbackInfo<Value>& info) {
  Engine* engine = Engine::ForThisThread();
  Fiber* fiber = Unwrap(engine, info);
  if (fiber == nullptr) return;
  Local<Value> result;
  if (fiber->Resume(engine->isolate->GetCurrentContext(), info[0], info[1]->IsTrue(), info[2]).ToLocal(&result)) {
    info.GetReturnValue().Set(result);
  }
}

void GetState(const FunctionCallbackInfo<Value>& info) {
  Engine* engine = Engine::ForThisThread();
  Fiber* fiber = Unwrap(engine, info);
  if (fiber != nullptr) info.GetReturnValue().Set(static_cast<int32_t>(fiber->state()));
}

void Suspend(const FunctionCallbackInfo<Value>& info) {
  Engine* engine = Engine::ForThisThread();
  Local<Value> result;
  if (Fiber::Suspend(engine, info[0], info[1]->IsTrue()).ToLocal(&result)) info.GetReturnValue().Set(result);
}

// settings(): returns { poolSize, stackSize, minStackSize, fibersCreated,
// pooled, suspended }; settings({ poolSize?, stackSize?, v8StackSize? })
// changes them first.
void Settings(const FunctionCallbackInfo<Value>& info) {
  Engine* engine = Engine::ForThisThread();
  Isolate* isolate = engine->isolate;
  Local<Context> context = isolate->GetCurrentContext();
  StackSettings settings;
  settings.pool_size = engine->pool.limit();
  settings.stack_size = engine->stack_size;
  settings.v8_stack_size = engine->v8_stack_size;
  if (!ApplySettings(isolate, context, info[0], &settings)) return;
  engine->pool.set_limit(settings.pool_size);
  engine->stack_size = settings.stack_size;
  engine->v8_stack_size = settings.v8_stack_size;
  info.GetReturnValue().Set(DescribeSettings(isolate, context, settings, engine->fibers_created, engine->pool.pooled(), engine->suspended));
}

void OnEnvironmentExit(void* data) {
  // Suspended fibers are left as they are: their stacks stay mapped because
  // V8 may still walk them while the isolate is torn down.
  static_cast<Engine*>(data)->shutting_down = true;
}

// Binds V8's slots and makes sure this thread holds the isolate's Locker,
// which every Unlocker needs. Returns false with *error set when the runtime
// cannot be supported.
bool StartEngine(Engine* engine, Isolate* isolate, std::string* error) {
  if (engine->isolate != nullptr) return true;
  if (!engine->slots.Bind(isolate, error)) return false;
  engine->isolate = isolate;
  // Node's main thread never takes a Locker; worker threads already hold one.
  // Held for the thread's whole life.
  if (!v8::Locker::IsLocked(isolate)) new v8::Locker(isolate);
  GuardAsyncContextDuringCollections(isolate);
  return true;
}

// [same, report]: DirectSwitch::CompareSymbolLookups().
void CompareSymbolLookups(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  std::string report;
  const bool same = DirectSwitch::CompareSymbolLookups(&report);
  Local<Value> items[] = {v8::Boolean::New(isolate, same), String::NewFromUtf8(isolate, report.c_str()).ToLocalChecked()};
  info.GetReturnValue().Set(v8::Array::New(isolate, items, 2));
}

// CollectionCheck(), for tests.
void CollectionCheckOf(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(String::NewFromUtf8(info.GetIsolate(), CollectionCheck().c_str()).ToLocalChecked());
}

// Picks this thread's switch path once, before its first fiber: `wanted` is
// "locker", or "auto"/"direct" for the direct path wherever every load check
// passes (src/binding.ts turns a refused "direct" into an error). Says why
// in engine->switch_note.
void ChooseSwitchPath(Engine* engine, Local<Context> context, const std::string& wanted) {
  if (engine->switch_chosen) return;
  engine->switch_chosen = true;
  if (wanted == "locker") {
    engine->switch_note = "GREENPATCH_SWITCH=locker";
    return;
  }
  std::string why;
  if (!engine->direct.Init(engine->isolate, &why)) {
    engine->switch_note = why;
    return;
  }
  engine->use_direct = true;
  if (!SelfTestSuspendedFiber(engine, context, &why)) {
    engine->use_direct = false;
    engine->switch_note = why;
    return;
  }
  engine->switch_note = "every load check passed";
}

}  // namespace

bool InitNativeBackend(v8::Local<v8::Context> context, v8::Local<v8::Object> exports, const std::string& switch_path,
                       std::string* error) {
  Isolate* isolate = v8::Isolate::GetCurrent();
  Engine* engine = Engine::ForThisThread();
  if (!StartEngine(engine, isolate, error)) return false;
  // Started again on the same thread (a cleared require cache): keep one
  // template so that existing handles stay valid, and one cleanup hook
  // (Node refuses a duplicate).
  if (engine->fiber_template.IsEmpty()) {
    Local<FunctionTemplate> tmpl = FunctionTemplate::New(isolate, New);
    tmpl->SetClassName(String::NewFromUtf8Literal(isolate, "Coroutine"));
    tmpl->InstanceTemplate()->SetInternalFieldCount(1);
    tmpl->PrototypeTemplate()->Set(isolate, "resume", FunctionTemplate::New(isolate, Resume));
    tmpl->PrototypeTemplate()->Set(isolate, "state", FunctionTemplate::New(isolate, GetState));
    engine->fiber_template.Reset(isolate, tmpl);
    MakeTerminationProbe(isolate, context, &engine->probe);
    node::AddEnvironmentCleanupHook(isolate, OnEnvironmentExit, engine);
  }
  ChooseSwitchPath(engine, context, switch_path);
  Local<FunctionTemplate> tmpl = engine->fiber_template.Get(isolate);

  auto set = [&](const char* name, Local<Value> value) {
    exports->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(), value).Check();
  };
  set("Coroutine", tmpl->GetFunction(context).ToLocalChecked());
  set("suspend", v8::Function::New(context, Suspend).ToLocalChecked());
  set("settings", v8::Function::New(context, Settings).ToLocalChecked());
  set("backend", String::NewFromUtf8Literal(isolate, "native"));
  // Which switch path runs ("direct" or "locker") and why.
  set("switchPath", String::NewFromUtf8Literal(isolate, engine->use_direct ? "direct" : "locker"));
  set("switchNote", String::NewFromUtf8(isolate, engine->switch_note.c_str()).ToLocalChecked());
  // Direct path: true when interrupts are carried over at a switch, or why not.
  if (engine->use_direct && engine->direct.carries_interrupts()) {
    set("interruptCarry", v8::True(isolate));
  } else if (engine->use_direct) {
    set("interruptCarry", String::NewFromUtf8(isolate, engine->direct.carry_note().c_str()).ToLocalChecked());
  }
  // For a test: the fast symbol lookup at load against a full scan.
  if (engine->use_direct) set("compareSymbolLookups", v8::Function::New(context, CompareSymbolLookups).ToLocalChecked());
  if (engine->use_direct) set("collectionCheck", v8::Function::New(context, CollectionCheckOf).ToLocalChecked());
  // Direct path: true when the regexp stack stays live across switches
  // outside a match, or why not.
  if (engine->use_direct && engine->direct.skips_regexp_stack()) {
    set("regexpSkip", v8::True(isolate));
  } else if (engine->use_direct) {
    set("regexpSkip", String::NewFromUtf8(isolate, engine->direct.regexp_note().c_str()).ToLocalChecked());
  }
  return true;
}

bool NativeBackendRunning() { return Engine::ForThisThread()->isolate != nullptr; }

}  // namespace greenpatch
