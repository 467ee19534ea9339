// Reporting an exception as Node reports an uncaught one, from where it was
// thrown. See uncaught.cc.
#pragma once

#include <v8.h>

namespace greenpatch {

// reportUncaught(fn, keep?): see uncaught.cc.
void ReportUncaught(const v8::FunctionCallbackInfo<v8::Value>& info);

}  // namespace greenpatch
