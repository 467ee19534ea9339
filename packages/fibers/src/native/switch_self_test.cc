#include "switch_self_test.h"

#include <atomic>

#include "fiber.h"

namespace greenpatch {
namespace {

struct Probe {
  Engine* engine;
  const char* failure = "the fiber did not run";
};

// The fiber's body: new objects held by handles of this fiber only (and a
// weak global, which says whether the collector kept them and where they
// are now), a suspension, then checks that never dereference a handle the
// collector might have missed.
void Body(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Probe* probe = static_cast<Probe*>(info.Data().As<v8::External>()->Value());
  v8::Isolate* isolate = info.GetIsolate();
  v8::HandleScope scope(isolate);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> held = v8::Object::New(isolate);
  v8::Local<v8::String> key = v8::String::NewFromUtf8Literal(isolate, "greenpatch");
  v8::Local<v8::Number> value = v8::Number::New(isolate, 0.5);  // a heap number
  if (held->Set(context, key, value).IsNothing()) return;
  v8::Global<v8::Object> watch(isolate, held);
  watch.SetWeak();
  probe->failure = "the fiber was not resumed";
  v8::Local<v8::Value> ignored;
  if (!Fiber::Suspend(probe->engine, v8::Undefined(isolate)).ToLocal(&ignored)) return;
  v8::Local<v8::Value> got;
  if (watch.IsEmpty()) {
    probe->failure = "an object held only by a suspended fiber's handle was collected";
  } else if (held != watch) {
    probe->failure = "a suspended fiber's handle was not updated when its object moved";
  } else if (!held->Get(context, key).ToLocal(&got) || !got->IsNumber() || got.As<v8::Number>()->Value() != 0.5) {
    probe->failure = "an object held by a suspended fiber lost its contents";
  } else {
    probe->failure = nullptr;
  }
}

void CountCollection(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) { ++*static_cast<int*>(data); }

// Makes the collector run, without a flag (a forced collection needs
// --expose-gc): allocates short-lived 64 KiB arrays, young like the
// fiber's objects, until a collection has happened. Every collection moves
// young objects, so the fiber's handles must be updated. That is at most
// the young generation's free room (1 MiB to a few MiB at start-up), and
// bounded; the check is done once per process, the V8 being the same on
// every thread.
void CollectYoungGeneration(v8::Isolate* isolate) {
  int collections = 0;
  isolate->AddGCEpilogueCallback(CountCollection, &collections);
  for (int i = 0; i < 4096 && collections == 0; i++) {
    v8::HandleScope scope(isolate);
    v8::Array::New(isolate, 8 * 1024);
  }
  isolate->RemoveGCEpilogueCallback(CountCollection, &collections);
}

std::atomic<bool> collected_once{false};

}  // namespace

bool SelfTestSuspendedFiber(Engine* engine, v8::Local<v8::Context> context, std::string* error) {
  v8::Isolate* isolate = engine->isolate;
  v8::HandleScope scope(isolate);
  v8::TryCatch try_catch(isolate);
  Probe probe{engine};
  v8::Local<v8::Function> body;
  if (!v8::Function::New(context, Body, v8::External::New(isolate, &probe)).ToLocal(&body)) {
    *error = "cannot create the self test's function";
    return false;
  }
  const double created = engine->fibers_created;
  auto* fiber = new Fiber(engine);
  v8::Local<v8::Value> result;
  if (fiber->Resume(context, v8::Undefined(isolate), false, body).ToLocal(&result) &&
      fiber->state() == Fiber::State::kSuspended) {
    if (!collected_once.exchange(true)) CollectYoungGeneration(isolate);
    (void)fiber->Resume(context, v8::Undefined(isolate), false, v8::Undefined(isolate)).ToLocal(&result);
  }
  engine->fibers_created = created;  // not the program's
  // A fiber still suspended (a failure above) keeps its stack: V8 walks it.
  if (fiber->state() != Fiber::State::kSuspended) delete fiber;
  if (probe.failure != nullptr) {
    *error = std::string("the self test at load failed: ") + probe.failure;
    return false;
  }
  return true;
}

}  // namespace greenpatch
