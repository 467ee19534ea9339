// Direct switch: V8 interrupts (worker.terminate(), Isolate::RequestInterrupt,
// the collector's and compilers' requests) raised while one flow of control
// is current are bits in the StackGuard's per-thread block, which a switch
// archives with that flow. This carries them over to the flow that runs
// next, so that they do not wait until the leaving flow runs again, and holds
// the isolate's break mutex (V8's ExecutionAccess) from the guard's archive
// to the next restore, so that one raised in between is not overwritten by
// that restore. Found and checked at load; without it the switch still
// works, with the delay (docs/engine-direct-switch.md#interrupts).
#pragma once

#include <v8.h>

#include <cstdint>
#include <map>
#include <string>

namespace greenpatch {

class InterruptCarry {
 public:
  using Archiver = char* (*)(void* self, char* to);

  // Finds the break mutex (read from the machine code of `archive`, V8's
  // StackGuard::ArchiveStackGuard) and the interrupt flags' offset in the
  // archived block (by archiving around a public Isolate::RequestInterrupt),
  // and checks both. `functions` holds the symbols kSymbols names. Must run
  // on the isolate's thread, inside a JavaScript call. False, with *note, if
  // anything is missing or fails a check: the carry is then off.
  bool Init(v8::Isolate* isolate, void* stack_guard, Archiver archive, Archiver restore,
            const std::map<std::string, uintptr_t>& functions, std::string* note);
  static const char* const kSymbols[3];

  bool enabled() const { return enabled_; }
  // Takes the break mutex (before the leaving flow's guard is archived).
  void Hold() {
    if (enabled_) lock_(mutex_);
  }
  // Moves the pending flags out of a guard block just archived.
  void Take(char* guard_block);
  // Moves the live flags out of the guard of a flow that ends.
  void TakeLive();
  // After the arriving flow's guard is live: raises what was taken on it,
  // and lets the break mutex go.
  void Deliver();

 private:
  bool enabled_ = false;
  void* stack_guard_ = nullptr;
  Archiver archive_ = nullptr;
  void* mutex_ = nullptr;
  void (*lock_)(void* mutex) = nullptr;
  void (*unlock_)(void* mutex) = nullptr;
  void (*request_)(void* stack_guard, int flag) = nullptr;
  size_t flags_offset_ = 0;
  unsigned pending_ = 0;
  alignas(16) char scratch_[256];  // TakeLive()'s archive
};

}  // namespace greenpatch
