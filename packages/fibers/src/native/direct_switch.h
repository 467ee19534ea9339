// PROTOTYPE (GREENPATCH_SWITCH=direct, off by default): a switch that keeps
// every fiber of an OS thread one V8 thread and archives/restores only the
// per-thread state, calling V8's own archive and restore functions
// directly instead of going through v8::Unlocker/v8::Locker. Design, what
// is found and checked at load, and the open points:
// docs/engine-direct-switch.md.
#pragma once

#include <v8.h>

#include <cstdint>
#include <string>

#include "interrupt_carry.h"

namespace greenpatch {

class DirectSwitch {
 public:
  // Finds V8's internal functions and objects for `isolate` (the calling
  // thread's, which must hold its Locker) and checks them. False, with
  // *error, when any is missing or fails a check: the Locker path is used.
  bool Init(v8::Isolate* isolate, std::string* error);

  // Archives the running flow's V8 state into *state (a V8 ThreadState,
  // taken on first use), linked into V8's in-use list so that the garbage
  // collector visits it while the flow is suspended.
  void Archive(void** state);
  // Restores a flow archived by Archive() and unlinks its state.
  void Restore(void* state);
  // The state of a flow that starts on a fresh stack (after the previous
  // flow was archived): what V8 gives a thread it has never seen.
  void StartFlow(uintptr_t js_stack_limit);
  // Frees what a finished flow's live state owned (before another flow's
  // Restore() overwrites it).
  void EndFlow();
  // Gives a finished flow's ThreadState back to V8's free list.
  void Release(void* state);
  // Whether interrupts raised while one flow is current are carried over at
  // a switch, and why not when they are not.
  bool carries_interrupts() const { return carry_.enabled(); }
  const std::string& carry_note() const { return carry_note_; }

 private:
  using Archiver = char* (*)(void* self, char* to);
  using IsolateArchiver = char* (*)(void* isolate, char* to);
  using Method = void (*)(void* self);

  void* isolate_ = nullptr;
  void* thread_manager_ = nullptr;
  void* handle_scopes_ = nullptr;
  void* stack_guard_ = nullptr;
  void* debug_ = nullptr;
  void* regexp_stack_ = nullptr;
  const bool* debug_active_ = nullptr;
  size_t data_offset_ = 0;  // ThreadState::data_
  int debug_size_ = 0;      // Debug::ArchiveSpacePerThread()

  void* (*get_free_state_)(void* thread_manager) = nullptr;
  void (*link_into_)(void* state, int list) = nullptr;
  Method unlink_ = nullptr;
  Archiver hsi_archive_ = nullptr, hsi_restore_ = nullptr;
  Archiver isolate_archive_ = nullptr, isolate_restore_ = nullptr;
  IsolateArchiver reloc_archive_ = nullptr, reloc_restore_ = nullptr;
  Archiver guard_archive_ = nullptr, guard_restore_ = nullptr;
  Archiver debug_archive_ = nullptr, debug_restore_ = nullptr;
  Archiver regexp_archive_ = nullptr, regexp_restore_ = nullptr;
  Method init_thread_local_ = nullptr;
  Method debug_thread_init_ = nullptr;
  void (*set_stack_limit_)(void* stack_guard, uintptr_t limit) = nullptr;
  Method free_thread_resources_ = nullptr;
  InterruptCarry carry_;
  std::string carry_note_;
};

}  // namespace greenpatch
