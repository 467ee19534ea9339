// The engine settings both backends share: what settings({...}) accepts, how
// it checks it, and what it reports. One place, so that the two backends give
// the same errors and messages.
#pragma once

#include <v8.h>

#include <cstddef>

namespace greenpatch {

// Room a fiber's stack keeps beyond V8's JavaScript stack area: the frames
// above the point where V8 takes its measure, and the C++ that runs once
// JavaScript hits the limit (throwing RangeError, GC, runtime functions).
constexpr size_t kNativeReserve = 320 * 1024;

struct StackSettings {
  size_t pool_size = 120;
  size_t stack_size = 2 * 1024 * 1024;
  // V8's JavaScript stack area for each thread (--stack-size, in bytes); the
  // TypeScript layer reports the flag's value at load.
  size_t v8_stack_size = 984 * 1024;

  size_t MinStackSize() const { return v8_stack_size + kNativeReserve; }
};

// Applies settings({ poolSize?, stackSize?, v8StackSize? }) from `arg` to
// `*settings`: all of them, or, when one is out of range, none (an
// ERR_OUT_OF_RANGE is then pending and false returned).
bool ApplySettings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Value> arg,
                   StackSettings* settings);

// { poolSize, stackSize, minStackSize, fibersCreated, pooled, suspended }
v8::Local<v8::Object> DescribeSettings(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                       const StackSettings& settings, double fibers_created, size_t pooled,
                                       size_t suspended);

}  // namespace greenpatch
