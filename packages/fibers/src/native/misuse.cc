#include "misuse.h"

namespace greenpatch {

void ThrowCoded(v8::Isolate* isolate, const char* code, const char* message, bool type_error) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::String> text = v8::String::NewFromUtf8(isolate, message).ToLocalChecked();
  v8::Local<v8::Value> error = type_error ? v8::Exception::TypeError(text) : v8::Exception::Error(text);
  error.As<v8::Object>()
      ->Set(context, v8::String::NewFromUtf8Literal(isolate, "code"),
            v8::String::NewFromUtf8(isolate, code).ToLocalChecked())
      .Check();
  isolate->ThrowException(error);
}

bool CheckResume(v8::Isolate* isolate, bool running, bool starting, bool throwing, v8::Local<v8::Value> fn,
                 bool shutting_down) {
  if (running) {
    ThrowCoded(isolate, "ERR_FIBER_RUNNING", "This fiber is already running");
    return false;
  }
  if (!starting) return true;
  if (throwing) {
    ThrowCoded(isolate, "ERR_FIBER_NOT_YIELDING",
               "throwInto() needs a fiber suspended in Fiber.yield(); this one has not started");
    return false;
  }
  if (!fn->IsFunction()) {
    ThrowCoded(isolate, "ERR_INVALID_ARG_TYPE", "The fiber's function must be a function", true);
    return false;
  }
  if (shutting_down) {
    ThrowCoded(isolate, "ERR_FIBER_SHUTDOWN", "Fibers cannot start while the thread is exiting");
    return false;
  }
  return true;
}

}  // namespace greenpatch
