#include "settings.h"

#include <string>

#include "misuse.h"

namespace greenpatch {
namespace {

constexpr double kMaxBytes = 1024.0 * 1024 * 1024;

// The named option as a number; -1 when present but not a number; `absent`
// when undefined. False when reading it threw.
bool ReadOption(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> opts, const char* name,
                double* out, bool* present) {
  v8::Local<v8::Value> v;
  if (!opts->Get(context, v8::String::NewFromUtf8(isolate, name).ToLocalChecked()).ToLocal(&v)) return false;
  *present = !v->IsUndefined();
  *out = v->IsNumber() ? v.As<v8::Number>()->Value() : -1;
  return true;
}

}  // namespace

bool ApplySettings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Value> arg,
                   StackSettings* settings) {
  if (!arg->IsObject()) return true;
  v8::Local<v8::Object> opts = arg.As<v8::Object>();
  StackSettings next = *settings;
  double n;
  bool present;

  if (!ReadOption(isolate, context, opts, "poolSize", &n, &present)) return false;
  if (present) {
    if (!(n >= 0 && n <= 1e6) || n != static_cast<double>(static_cast<size_t>(n))) {
      ThrowCoded(isolate, "ERR_OUT_OF_RANGE", "poolSize must be an integer from 0 to 1000000", true);
      return false;
    }
    next.pool_size = static_cast<size_t>(n);
  }
  if (!ReadOption(isolate, context, opts, "v8StackSize", &n, &present)) return false;
  if (present) {
    if (!(n >= 64 * 1024 && n <= kMaxBytes)) {
      ThrowCoded(isolate, "ERR_OUT_OF_RANGE", "v8StackSize must be a number of bytes from 65536 to 1073741824", true);
      return false;
    }
    next.v8_stack_size = static_cast<size_t>(n);
    if (next.stack_size < next.MinStackSize()) next.stack_size = next.MinStackSize();
  }
  if (!ReadOption(isolate, context, opts, "stackSize", &n, &present)) return false;
  if (present) {
    // Smaller than V8's JavaScript stack area plus the native reserve, V8
    // would run past the end of the stack before it throws RangeError.
    if (!(n >= static_cast<double>(next.MinStackSize()) && n <= kMaxBytes)) {
      std::string msg = "stackSize must be a number of bytes from " + std::to_string(next.MinStackSize()) +
                        " (V8's --stack-size plus a native reserve) to 1073741824";
      ThrowCoded(isolate, "ERR_OUT_OF_RANGE", msg.c_str(), true);
      return false;
    }
    next.stack_size = static_cast<size_t>(n);
  }
  *settings = next;
  return true;
}

v8::Local<v8::Object> DescribeSettings(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                       const StackSettings& settings, double fibers_created, size_t pooled,
                                       size_t suspended) {
  v8::Local<v8::Object> out = v8::Object::New(isolate);
  auto set = [&](const char* key, double value) {
    out->Set(context, v8::String::NewFromUtf8(isolate, key).ToLocalChecked(), v8::Number::New(isolate, value))
        .Check();
  };
  set("poolSize", static_cast<double>(settings.pool_size));
  set("stackSize", static_cast<double>(settings.stack_size));
  set("minStackSize", static_cast<double>(settings.MinStackSize()));
  set("fibersCreated", fibers_created);
  set("pooled", static_cast<double>(pooled));
  set("suspended", static_cast<double>(suspended));
  return out;
}

}  // namespace greenpatch
