// The threads backend's JavaScript surface: the same Coroutine, suspend,
// settings and backend as the native backend's (binding.cc), with the same
// errors and codes.
#include <node.h>
#include <v8.h>

#include <string>

#include "backends.h"
#include "misuse.h"
#include "settings.h"
#include "termination.h"
#include "thread_backend.h"
#include "v8_compat.h"

namespace greenpatch {
namespace threads {
namespace {

using v8::Context;
using v8::FunctionCallbackInfo;
using v8::FunctionTemplate;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::String;
using v8::Value;

ThreadFiber* Unwrap(ThreadEngine* engine, const FunctionCallbackInfo<Value>& info) {
  Local<Object> self = info.This();
  Local<FunctionTemplate> tmpl = engine->fiber_template.Get(engine->isolate);
  if (!tmpl->HasInstance(self) || self->InternalFieldCount() < 1) {
    ThrowCoded(engine->isolate, "ERR_INVALID_THIS", "Receiver is not a Coroutine", true);
    return nullptr;
  }
  return static_cast<ThreadFiber*>(GetInternalPointer(self));
}

void OnCollected(const v8::WeakCallbackInfo<ThreadFiber>& info) {
  ThreadFiber* fiber = info.GetParameter();
  fiber->handle.Reset();
  // A suspended fiber's thread is parked inside its body, which V8 still
  // references (its archived thread state). The TypeScript layer unwinds such
  // fibers before their handles become unreachable; one left here is
  // unwound when the environment exits (ThreadEngine::Shutdown).
  if (fiber->state() == ThreadFiber::State::kSuspended) {
    fiber->orphaned = true;
    return;
  }
  delete fiber;
}

void New(const FunctionCallbackInfo<Value>& info) {
  ThreadEngine* engine = ThreadEngine::Current();
  if (!info.IsConstructCall()) {
    ThrowCoded(engine->isolate, "ERR_CONSTRUCT_CALL_REQUIRED", "Coroutine must be called with new", true);
    return;
  }
  auto* fiber = new ThreadFiber(engine);
  SetInternalPointer(info.This(), fiber);
  fiber->handle.Reset(engine->isolate, info.This());
  fiber->handle.SetWeak(fiber, OnCollected, v8::WeakCallbackType::kParameter);
}

// resume(value, throwing, fn)
void Resume(const FunctionCallbackInfo<Value>& info) {
  ThreadEngine* engine = ThreadEngine::Current();
  ThreadFiber* fiber = Unwrap(engine, info);
  if (fiber == nullptr) return;
  Local<Value> result;
  if (fiber->Resume(engine->isolate->GetCurrentContext(), info[0], info[1]->IsTrue(), info[2]).ToLocal(&result)) {
    info.GetReturnValue().Set(result);
  }
}

void GetState(const FunctionCallbackInfo<Value>& info) {
  ThreadEngine* engine = ThreadEngine::Current();
  ThreadFiber* fiber = Unwrap(engine, info);
  if (fiber != nullptr) info.GetReturnValue().Set(static_cast<int32_t>(fiber->state()));
}

void Suspend(const FunctionCallbackInfo<Value>& info) {
  ThreadEngine* engine = ThreadEngine::Current();
  Local<Value> result;
  if (ThreadFiber::Suspend(engine, info[0], info[1]->IsTrue()).ToLocal(&result)) info.GetReturnValue().Set(result);
}

// callOnHome(fn): fn() run on the Node thread's own OS thread (see
// ThreadEngine::CallOnHome).
void CallOnHome(const FunctionCallbackInfo<Value>& info) {
  ThreadEngine* engine = ThreadEngine::Current();
  if (!info[0]->IsFunction()) {
    ThrowCoded(engine->isolate, "ERR_INVALID_ARG_TYPE", "callOnHome() takes a function", true);
    return;
  }
  Local<Value> result;
  if (engine->CallOnHome(engine->isolate->GetCurrentContext(), info[0].As<v8::Function>()).ToLocal(&result)) {
    info.GetReturnValue().Set(result);
  }
}

// settings(): returns { poolSize, stackSize, minStackSize, fibersCreated,
// pooled, suspended }; settings({ poolSize?, stackSize?, v8StackSize? })
// changes them first. The same checks and messages as the native backend;
// poolSize bounds the parked OS threads, stackSize sizes new ones.
void Settings(const FunctionCallbackInfo<Value>& info) {
  ThreadEngine* engine = ThreadEngine::Current();
  Isolate* isolate = engine->isolate;
  Local<Context> context = isolate->GetCurrentContext();
  StackSettings settings;
  settings.pool_size = engine->pool_limit;
  settings.stack_size = engine->stack_size;
  settings.v8_stack_size = engine->v8_stack_size;
  if (!ApplySettings(isolate, context, info[0], &settings)) return;
  engine->SetPoolLimit(settings.pool_size);
  engine->stack_size = settings.stack_size;
  engine->v8_stack_size = settings.v8_stack_size;
  info.GetReturnValue().Set(DescribeSettings(isolate, context, settings, engine->fibers_created, engine->idle.size(), engine->suspended.size()));
}

void OnEnvironmentExit(void* data) { static_cast<ThreadEngine*>(data)->Shutdown(); }

}  // namespace
}  // namespace threads

bool ThreadsBackendRunning() { return threads::ThreadEngine::Current() != nullptr; }

void InitThreadsBackend(v8::Local<v8::Context> context, v8::Local<v8::Object> exports) {
  using namespace threads;
  Isolate* isolate = v8::Isolate::GetCurrent();
  ThreadEngine* engine = ThreadEngine::Current();
  if (engine == nullptr) engine = ThreadEngine::Start(isolate);
  // Loaded again (a cleared require cache, or from inside a fiber): keep one
  // template so that existing handles stay valid, and one cleanup hook.
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
  Local<FunctionTemplate> tmpl = engine->fiber_template.Get(isolate);
  auto set = [&](const char* name, Local<Value> value) {
    exports->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(), value).Check();
  };
  set("Coroutine", tmpl->GetFunction(context).ToLocalChecked());
  set("suspend", v8::Function::New(context, Suspend).ToLocalChecked());
  set("settings", v8::Function::New(context, Settings).ToLocalChecked());
  set("callOnHome", v8::Function::New(context, CallOnHome).ToLocalChecked());
  set("backend", String::NewFromUtf8Literal(isolate, "threads"));
}

}  // namespace greenpatch
