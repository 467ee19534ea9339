#include "switch_self_test.h"

#include <atomic>

#include "fiber.h"
#include "symbol_index.h"
#include "v8_file.h"

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
// every thread. True when a collection ran.
bool CollectYoungGeneration(v8::Isolate* isolate) {
  int collections = 0;
  isolate->AddGCEpilogueCallback(CountCollection, &collections);
  for (int i = 0; i < 4096 && collections == 0; i++) {
    v8::HandleScope scope(isolate);
    v8::Array::New(isolate, 8 * 1024);
  }
  isolate->RemoveGCEpilogueCallback(CountCollection, &collections);
  return collections > 0;
}

// The name of this check in the symbol index of V8's file.
constexpr const char* kIndexedCheck = "suspended_fiber_collection";

std::atomic<bool> collected_once{false};
std::string g_collection;  // how the process's one collection went, for CollectionCheck()

// Once per process: a collection while the fiber is suspended, unless the
// symbol index of V8's file (this very executable: same size, time and
// build id) records that this check passed there when the addon was built or
// installed. Whether the collector visits archived handles is a property of
// V8's code, not of the process, and the index is believed only for the file
// it was made from. On success the outcome is recorded for the build's
// child, which writes it into the index.
void CollectOncePerProcess(v8::Isolate* isolate, std::string* v8_file) {
  uintptr_t base = 0;
  std::string note;
  if (V8File(v8_file, &base) && IndexSaysPassed(*v8_file, kIndexedCheck, &note)) {
    g_collection = "index";
  } else if (CollectYoungGeneration(isolate)) {
    g_collection = "collected (" + note + ")";
  } else {
    g_collection = "no collection ran";
    v8_file->clear();  // nothing proven: not to be recorded
  }
}

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
  std::string v8_file;  // set by the process's one collection
  auto* fiber = new Fiber(engine);
  v8::Local<v8::Value> result;
  if (fiber->Resume(context, v8::Undefined(isolate), false, body).ToLocal(&result) &&
      fiber->state() == Fiber::State::kSuspended) {
    if (!collected_once.exchange(true)) CollectOncePerProcess(isolate, &v8_file);
    (void)fiber->Resume(context, v8::Undefined(isolate), false, v8::Undefined(isolate)).ToLocal(&result);
  }
  engine->fibers_created = created;  // not the program's
  // A fiber still suspended (a failure above) keeps its stack: V8 walks it.
  if (fiber->state() != Fiber::State::kSuspended) delete fiber;
  if (probe.failure != nullptr) {
    *error = std::string("the self test at load failed: ") + probe.failure;
    return false;
  }
  if (!v8_file.empty()) RecordPassed(v8_file, kIndexedCheck);
  return true;
}

std::string CollectionCheck() { return collected_once.load() ? g_collection : ""; }

}  // namespace greenpatch
