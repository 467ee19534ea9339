// V8 keeps the current isolate, its per-thread data and the thread id in C++
// thread_local variables. A fiber that owns its own values of these looks like
// a thread of its own to V8 (see docs/engine.md at the repository root). This file
// finds them in the running binary's symbol table and swaps them.
//
// Also swapped: the thread's cached stack start (v8::base), which
// Isolate::Enter() hands to the heap as the top of the stack that cppgc scans
// conservatively, so each fiber must own one that points at its own stack;
// and, where the binary has them, the current LocalHeap and marking barrier,
// which V8 14 sets and clears in Isolate::Enter()/Exit().
#pragma once

#include <cstdint>
#include <string>

namespace greenpatch {

constexpr int kMaxSlots = 6;
// Index of the stack-start slot in SlotValues (see kSpecs in v8_slots.cc).
constexpr int kStackStartSlot = 3;

struct SlotValues {
  uint64_t values[kMaxSlots] = {};
};

class V8Slots {
 public:
  // Finds this thread's slots, and checks that they hold what V8 itself says
  // is current (`expected_isolate`). On failure returns false and says why.
  bool Bind(void* expected_isolate, std::string* error);

  void Save(SlotValues* out) const {
    for (int i = 0; i < count_; i++) {
      out->values[i] = wide_[i] ? *static_cast<uint64_t*>(addr_[i]) : *static_cast<uint32_t*>(addr_[i]);
    }
  }
  // Sets only V8's current-isolate pointer (the first slot) of this thread.
  void SetCurrentIsolate(void* isolate) const {
    if (count_ > 0) *static_cast<uint64_t*>(addr_[0]) = reinterpret_cast<uint64_t>(isolate);
  }
  void Load(const SlotValues& in) const {
    for (int i = 0; i < count_; i++) {
      if (wide_[i]) {
        *static_cast<uint64_t*>(addr_[i]) = in.values[i];
      } else {
        *static_cast<uint32_t*>(addr_[i]) = static_cast<uint32_t>(in.values[i]);
      }
    }
  }

 private:
  int count_ = 0;
  void* addr_[kMaxSlots] = {};
  bool wide_[kMaxSlots] = {};
};

}  // namespace greenpatch
