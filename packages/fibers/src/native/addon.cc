// The addon's entry: start(backend, switchPath?) returns the JavaScript
// surface of the named backend ("native" or "threads") for the calling Node
// thread (the native one switching by `switchPath`: "auto", "direct" or
// "locker"), with
// reportUncaught (uncaught.cc), the same on both; which
// one to ask for is decided in src/binding.ts. claimFallbackNotice() is true
// once per process, so that the fallback line on stderr is printed once even
// with many worker threads. symbolIndex() and symbolLookups() are for the
// build and for tests (symbol_index.h).
#include <elf.h>
#include <node.h>
#include <v8.h>

#include <atomic>
#include <string>

#include "backends.h"
#include "misuse.h"
#include "symbol_index.h"
#include "uncaught.h"
#include "wasm_code_gc.h"

namespace greenpatch {
namespace {

using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

std::atomic<bool> g_notice_claimed{false};

void Start(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Local<v8::Context> context = isolate->GetCurrentContext();
  v8::String::Utf8Value name_utf8(isolate, info[0]);
  std::string name = *name_utf8 ? *name_utf8 : "";
  // A thread runs one backend for its whole life.
  const char* running = ThreadsBackendRunning() ? "threads" : NativeBackendRunning() ? "native" : nullptr;
  if (running != nullptr && name != running) {
    std::string msg = "This thread already runs the \"" + std::string(running) + "\" backend; it cannot start \"" +
                      name + "\"";
    ThrowCoded(isolate, "ERR_GREENPATCH_BACKEND_MISMATCH", msg.c_str());
    return;
  }
  Local<v8::Object> exports = v8::Object::New(isolate);
  if (name == "native") {
    std::string error;
    // The switch path wanted: "auto" (the default), "direct" or "locker".
    v8::String::Utf8Value switch_utf8(isolate, info[1]);
    const std::string switch_path = info[1]->IsString() && *switch_utf8 ? *switch_utf8 : "auto";
    if (!InitNativeBackend(context, exports, switch_path, &error)) {
      std::string msg = "@greenpatch/fibers cannot run on this Node build: " + error;
      ThrowCoded(isolate, "ERR_GREENPATCH_UNSUPPORTED_RUNTIME", msg.c_str());
      return;
    }
  } else if (name == "threads") {
    InitThreadsBackend(context, exports);
  } else {
    std::string msg = "Unknown backend \"" + name + "\": the backends are \"native\" and \"threads\"";
    ThrowCoded(isolate, "ERR_GREENPATCH_UNSUPPORTED_BACKEND", msg.c_str());
    return;
  }
  // V8 aborts the process ("archived threads in combination with wasm not
  // supported") when it garbage-collects WebAssembly code while any V8
  // thread state is archived, which is what every suspended fiber is, on
  // both backends. fetch() (undici's llhttp) is WebAssembly, so this is
  // common. Dead wasm code is then kept instead of freed.
  TurnOffWasmCodeGc();
  // Backend-neutral: a V8 and Node call on whichever stack it is made.
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "reportUncaught"),
               v8::Function::New(context, ReportUncaught).ToLocalChecked()).Check();
  info.GetReturnValue().Set(exports);
}

void ClaimFallbackNotice(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(!g_notice_claimed.exchange(true));
}

// [{ path, text }]: the symbol index files for what this process looked up
// (scripts/build-native.mjs writes them).
void SymbolIndex(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Local<v8::Context> context = isolate->GetCurrentContext();
  Local<v8::Array> out = v8::Array::New(isolate);
  uint32_t i = 0;
  for (const SymbolIndexFile& file : SymbolIndexFiles()) {
    Local<v8::Object> item = v8::Object::New(isolate);
    item->Set(context, v8::String::NewFromUtf8Literal(isolate, "path"),
              v8::String::NewFromUtf8(isolate, file.path.c_str()).ToLocalChecked()).Check();
    item->Set(context, v8::String::NewFromUtf8Literal(isolate, "text"),
              v8::String::NewFromUtf8(isolate, file.text.c_str()).ToLocalChecked()).Check();
    out->Set(context, i++, item).Check();
  }
  info.GetReturnValue().Set(out);
}

// [{ file, symbols: "function" | "thread-local", names, found, how, note }]:
// this process's symbol lookups, in order, for tests.
void SymbolLookupsOf(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Local<v8::Context> context = isolate->GetCurrentContext();
  Local<v8::Array> out = v8::Array::New(isolate);
  uint32_t i = 0;
  auto str = [&](const std::string& s) { return v8::String::NewFromUtf8(isolate, s.c_str()).ToLocalChecked(); };
  for (const SymbolLookup& lookup : SymbolLookups()) {
    Local<v8::Object> item = v8::Object::New(isolate);
    const char* symbols = lookup.type == STT_FUNC ? "function" : lookup.type == STT_TLS ? "thread-local" : "other";
    item->Set(context, str("file"), str(lookup.path)).Check();
    item->Set(context, str("symbols"), str(symbols)).Check();
    item->Set(context, str("names"), v8::Number::New(isolate, static_cast<double>(lookup.names.size()))).Check();
    item->Set(context, str("found"), v8::Number::New(isolate, static_cast<double>(lookup.found))).Check();
    item->Set(context, str("how"), str(lookup.how)).Check();
    item->Set(context, str("note"), str(lookup.note)).Check();
    out->Set(context, i++, item).Check();
  }
  info.GetReturnValue().Set(out);
}

}  // namespace
}  // namespace greenpatch

NODE_MODULE_INIT(/* exports, module, context */) {
  using namespace greenpatch;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "start"),
               v8::Function::New(context, Start).ToLocalChecked()).Check();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "claimFallbackNotice"),
               v8::Function::New(context, ClaimFallbackNotice).ToLocalChecked()).Check();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "symbolIndex"),
               v8::Function::New(context, SymbolIndex).ToLocalChecked()).Check();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "symbolLookups"),
               v8::Function::New(context, SymbolLookupsOf).ToLocalChecked()).Check();
}
