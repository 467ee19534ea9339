// Direct switch: V8's RegExpStack::ArchiveStack gives every archived flow a
// regexp backtrack stack of its own (it turns the isolate's static stack into
// a 1 KB malloc'd one first), though a flow suspended outside a match has
// nothing on it. With every flow one V8 thread, such a flow can leave the
// live stack in place instead: the next flow finds it as V8 leaves it between
// matches. A flow suspended inside a match (an interrupt's JavaScript that
// switches, e.g. a debugger's Runtime.evaluate) is archived for real. Found
// and checked at load; without it every switch archives the regexp stack
// (docs/engine-direct-switch.md#the-regexp-stack).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace greenpatch {

class RegExpSkip {
 public:
  using Archiver = char* (*)(void* self, char* to);

  // Finds the live regexp stack's top and stack pointer (V8's external
  // references to them) and the isolate's static stack, and checks, by
  // archiving and restoring the live stack once, what Archive() and
  // Restore() rely on. Must run on the isolate's thread, inside a JavaScript
  // call. Archive() and Restore() archive for real until then. False,
  // with *note, if anything is missing or fails a check: every switch then
  // archives for real.
  bool Init(void* isolate, void* regexp_stack, Archiver archive, Archiver restore,
            const std::map<std::string, uintptr_t>& functions, std::string* note);
  static const char* const kSymbols[4];
  bool enabled() const { return enabled_; }

  // Archives the live regexp stack into `to` (the regexp piece of a V8
  // ThreadState), or leaves it live and marks the piece as skipped.
  void Archive(char* to) {
    if (enabled_ && AtRest()) {
      *reinterpret_cast<uintptr_t*>(to + mark_) = 0;
      return;
    }
    archive_(regexp_stack_, to);
  }
  // Restores a piece Archive() wrote. A skipped flow finds the live stack
  // as it left it: at rest on the static stack, which every Archive() leaves.
  void Restore(char* from) {
    if (!enabled_ || *reinterpret_cast<const uintptr_t*>(from + mark_) != 0) restore_(regexp_stack_, from);
  }

 private:
  // Nothing on the live stack, and it is the isolate's static one (a
  // dynamic stack left empty is given back first, as V8 does when a match
  // ends).
  bool AtRest();

  bool enabled_ = false;
  void* isolate_ = nullptr;
  void* regexp_stack_ = nullptr;
  Archiver archive_ = nullptr;
  Archiver restore_ = nullptr;
  const uintptr_t* top_ = nullptr;  // &thread_local_.memory_top_
  const uintptr_t* sp_ = nullptr;   // &thread_local_.stack_pointer_
  uintptr_t static_top_ = 0;        // the top of the static stack
  size_t mark_ = 0;                 // a word every real archive has non-zero
  void (*scope_enter_)(void* scope, void* isolate) = nullptr;  // RegExpStackScope
  void (*scope_exit_)(void* scope) = nullptr;
};

}  // namespace greenpatch
