// The direct switch path (the default where every load check passes;
// GREENPATCH_SWITCH=locker turns it off): a switch that keeps every fiber of
// an OS thread one V8 thread and archives/restores only the per-thread
// state, calling V8's own archive and restore functions directly instead of
// going through v8::Unlocker/v8::Locker. Design, what is found and checked
// at load, and the open points: docs/engine-direct-switch.md.
#pragma once

#include <v8.h>

#include <cstdint>
#include <string>

#include "interrupt_carry.h"
#include "regexp_skip.h"

namespace greenpatch {

class DirectSwitch {
 public:
  // Finds V8's internal functions and objects for `isolate` (the calling
  // thread's, which must hold its Locker and be inside a JavaScript call,
  // with a context), checks them, checks that the pieces archived add up to
  // what V8 allocates for a thread's state, and archives and restores this
  // thread's state once. False, with *error, when anything is missing or
  // fails a check: the Locker path is then used, and nothing was changed.
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
  // Bytes of one archived state, as checked at load.
  long archive_size() const { return archive_size_; }
  // The isolate's entry count on this thread (EntryStackItem::entry_count of
  // the item on top of Isolate::entry_stack_, found and checked at load):
  // with one V8 thread for every flow, each flow keeps its own count.
  int* entry_count() const {
    return *reinterpret_cast<int**>(static_cast<char*>(isolate_) + entry_stack_offset_);
  }
  // Whether interrupts raised while one flow is current are carried over at
  // a switch, and why not when they are not.
  // For a test: the addresses the engine found for V8's functions at load
  // are the ones a full scan of the symbol table gives (*report says what
  // was compared).
  static bool CompareSymbolLookups(std::string* report);
  bool carries_interrupts() const { return carry_.enabled(); }
  const std::string& carry_note() const { return carry_note_; }
  // Whether a flow suspended outside a regexp match leaves the regexp stack
  // live instead of archiving it, and why not when it does not.
  bool skips_regexp_stack() const { return regexp_skip_.enabled(); }
  const std::string& regexp_note() const { return regexp_note_; }

 private:
  bool FindAll(void* isolate, std::string* error);
  // V8's ThreadState::AllocateSpace() allocates exactly the pieces known
  // here (docs/engine-direct-switch.md, "What is checked at load").
  bool CheckArchiveSize(std::string* error);
  // Archive() and Restore() of the calling thread's own state: its context,
  // handles and stack limit come back, and the state is in V8's in-use list
  // (visited by the collector) in between.
  bool CheckRoundTrip(v8::Isolate* isolate, std::string* error);
  // Isolate::entry_stack_: the field v8::Isolate::IsInUse() reads, whose
  // item's first int must follow Isolate::Enter()/Exit().
  bool FindEntryCount(v8::Isolate* isolate, std::string* error);

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
  long archive_size_ = 0;   // all pieces, the bootstrapper's included
  size_t entry_stack_offset_ = 0;

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
  void* (*first_in_use_)(void* thread_manager) = nullptr;
  // For the load checks only.
  uintptr_t allocate_space_ = 0;   // ThreadState::AllocateSpace
  uintptr_t space_fns_[4] = {};    // the four ArchiveSpacePerThread() V8 calls there
  const uintptr_t* real_jslimit_ = nullptr;
  InterruptCarry carry_;
  std::string carry_note_;
  RegExpSkip regexp_skip_;
  std::string regexp_note_;
};

}  // namespace greenpatch
