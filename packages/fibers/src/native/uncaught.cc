// reportUncaught(fn, keep?) calls fn(). An exception it throws is reported as
// Node reports an uncaught exception ('uncaughtException' listeners, else
// the source line, the stack and exit status 1), with the V8 message of the
// throw itself. JavaScript that catches an exception can only rethrow it from
// its own line, and the message (the file, line and source excerpt Node
// prints above the stack) would then be the rethrow's; here the exception
// never passes through a JavaScript catch. Code whose exceptions are
// uncaught but which runs where Node does not catch them itself, such as a
// program's entry module run on a fiber, is called through this.
//
// keep(exception), when given, is asked first: when it returns true the
// exception is not reported (the caller recorded it). Returns true when fn
// threw (reported and handled by a listener, or kept), false when it
// returned. A termination passes through.
#include "uncaught.h"

#include <node.h>

#include "misuse.h"

namespace greenpatch {

void ReportUncaught(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsFunction() || !(info[1]->IsUndefined() || info[1]->IsFunction())) {
    ThrowCoded(isolate, "ERR_INVALID_ARG_TYPE", "reportUncaught(fn, keep?) takes a function and an optional function", true);
    return;
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> ignored;
  if (info[0].As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&ignored)) {
    info.GetReturnValue().Set(false);
    return;
  }
  // Termination (process.exit() in a worker...) carries on when this returns.
  if (try_catch.HasTerminated() || !try_catch.CanContinue()) return;
  info.GetReturnValue().Set(true);
  if (info[1]->IsFunction()) {
    v8::Local<v8::Value> exception = try_catch.Exception();
    v8::Local<v8::Value> kept;
    {
      v8::TryCatch keep_failed(isolate);
      if (!info[1].As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, &exception).ToLocal(&kept)) {
        // keep() itself threw: that is the error to report.
        if (keep_failed.HasTerminated() || !keep_failed.CanContinue()) {
          keep_failed.ReThrow();
          return;
        }
        node::FatalException(isolate, keep_failed);
        return;
      }
    }
    if (kept->IsTrue()) return;
  }
  node::FatalException(isolate, try_catch);
}

}  // namespace greenpatch
