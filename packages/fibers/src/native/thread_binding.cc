// The threads backend's JavaScript surface: the same Coroutine, suspend,
// settings and backend as the native backend's (binding.cc), with the same
// errors and codes.
#include <node.h>
#include <v8.h>

#include <string>

#include "backends.h"
#include "fiber.h"  // ThrowCoded
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
  if (ThreadFiber::Suspend(engine, info[0]).ToLocal(&result)) info.GetReturnValue().Set(result);
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
  if (info[0]->IsObject()) {
    Local<Object> opts = info[0].As<Object>();
    Local<Value> v;
    if (!opts->Get(context, String::NewFromUtf8Literal(isolate, "poolSize")).ToLocal(&v)) return;
    if (!v->IsUndefined()) {
      double n = v->IsNumber() ? v.As<v8::Number>()->Value() : -1;
      if (!(n >= 0 && n <= 1e6) || n != static_cast<double>(static_cast<size_t>(n))) {
        ThrowCoded(isolate, "ERR_OUT_OF_RANGE", "poolSize must be an integer from 0 to 1000000", true);
        return;
      }
      engine->SetPoolLimit(static_cast<size_t>(n));
    }
    if (!opts->Get(context, String::NewFromUtf8Literal(isolate, "v8StackSize")).ToLocal(&v)) return;
    if (!v->IsUndefined()) {
      double n = v->IsNumber() ? v.As<v8::Number>()->Value() : -1;
      if (!(n >= 64 * 1024 && n <= 1024.0 * 1024 * 1024)) {
        ThrowCoded(isolate, "ERR_OUT_OF_RANGE", "v8StackSize must be a number of bytes from 65536 to 1073741824", true);
        return;
      }
      engine->v8_stack_size = static_cast<size_t>(n);
      if (engine->stack_size < engine->MinStackSize()) engine->stack_size = engine->MinStackSize();
    }
    if (!opts->Get(context, String::NewFromUtf8Literal(isolate, "stackSize")).ToLocal(&v)) return;
    if (!v->IsUndefined()) {
      double n = v->IsNumber() ? v.As<v8::Number>()->Value() : -1;
      if (!(n >= static_cast<double>(engine->MinStackSize()) && n <= 1024.0 * 1024 * 1024)) {
        std::string msg = "stackSize must be a number of bytes from " + std::to_string(engine->MinStackSize()) +
                          " (V8's --stack-size plus a native reserve) to 1073741824";
        ThrowCoded(isolate, "ERR_OUT_OF_RANGE", msg.c_str(), true);
        return;
      }
      engine->stack_size = static_cast<size_t>(n);
    }
  }
  Local<Object> out = Object::New(isolate);
  auto set = [&](const char* key, double value) {
    out->Set(context, String::NewFromUtf8(isolate, key).ToLocalChecked(), v8::Number::New(isolate, value)).Check();
  };
  set("poolSize", static_cast<double>(engine->pool_limit));
  set("stackSize", static_cast<double>(engine->stack_size));
  set("fibersCreated", engine->fibers_created);
  set("pooled", static_cast<double>(engine->idle.size()));
  set("suspended", static_cast<double>(engine->suspended.size()));
  set("minStackSize", static_cast<double>(engine->MinStackSize()));
  info.GetReturnValue().Set(out);
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
