// The few V8 API calls whose signatures differ across the Node majors we
// support (V8 11.3 on Node 20 to V8 14.6 on Node 26).
#pragma once

#include <v8.h>

namespace greenpatch {

inline void* GetInternalPointer(v8::Local<v8::Object> object) {
#if V8_MAJOR_VERSION >= 14
  return object->GetAlignedPointerFromInternalField(0, v8::kEmbedderDataTypeTagDefault);
#else
  return object->GetAlignedPointerFromInternalField(0);
#endif
}

inline void SetInternalPointer(v8::Local<v8::Object> object, void* value) {
#if V8_MAJOR_VERSION >= 14
  object->SetAlignedPointerInInternalField(0, value, v8::kEmbedderDataTypeTagDefault);
#else
  object->SetAlignedPointerInInternalField(0, value);
#endif
}

}  // namespace greenpatch
