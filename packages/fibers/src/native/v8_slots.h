// V8 keeps the current isolate, its per-thread data and the thread id in C++
// thread_local variables. A fiber that owns its own values of these looks like
// a thread of its own to V8 (see ../shared/DESIGN.md, "The engine"). This file
// finds them in the running binary's symbol table and swaps them.
//
// Besides the three that must be there, V8 keeps two more per-thread values
// that Isolate::Enter()/Exit() set and clear on recent versions (V8 14 clears
// the current LocalHeap and marking barrier when a thread leaves the isolate):
// they are swapped with the others where the binary has them.
#pragma once

#include <cstdint>
#include <string>

namespace greenpatch {

constexpr int kMaxSlots = 5;

struct SlotValues {
  uint64_t values[kMaxSlots] = {0, 0, 0, 0, 0};
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
