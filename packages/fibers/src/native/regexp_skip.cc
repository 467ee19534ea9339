#include "regexp_skip.h"

#include <cstring>

namespace greenpatch {

const char* const RegExpSkip::kSymbols[4] = {
    "_ZN2v88internal17ExternalReference42address_of_regexp_stack_memory_top_addressEPNS0_7IsolateE",
    "_ZN2v88internal17ExternalReference37address_of_regexp_stack_stack_pointerEPNS0_7IsolateE",
    "_ZN2v88internal16RegExpStackScopeC1EPNS0_7IsolateE",
    "_ZN2v88internal16RegExpStackScopeD1Ev",
};

namespace {

// RegExpStackScope is a RegExpStack* and the stack pointer's distance from
// the top (16 bytes); the rest of this buffer is checked untouched at load.
constexpr size_t kScopeSpace = 64;

}  // namespace

bool RegExpSkip::Init(void* isolate, void* regexp_stack, Archiver archive, Archiver restore,
                      const std::map<std::string, uintptr_t>& functions, std::string* note) {
  regexp_stack_ = regexp_stack;
  archive_ = archive;
  restore_ = restore;
  for (const char* n : kSymbols) {
    if (functions.count(n) == 0) {
      *note = std::string("V8 internal function not found: ") + n;
      return false;
    }
  }
  using AddressOf = uintptr_t (*)(void* isolate);
  const uintptr_t object = reinterpret_cast<uintptr_t>(regexp_stack);
  const uintptr_t top_at = reinterpret_cast<AddressOf>(functions.at(kSymbols[0]))(isolate);
  const uintptr_t sp_at = reinterpret_cast<AddressOf>(functions.at(kSymbols[1]))(isolate);
  // Both fields of the RegExpStack's thread-local block (within its 1 KB
  // static stack and a few words), next to each other.
  const uintptr_t kWindow = 0x1000;
  if (top_at - object >= kWindow || sp_at - object >= kWindow || top_at == sp_at ||
      (top_at > sp_at ? top_at - sp_at : sp_at - top_at) >= 64 || top_at % 8 != 0 || sp_at % 8 != 0) {
    *note = "V8's regexp stack fields are not where expected";
    return false;
  }
  isolate_ = isolate;
  top_ = reinterpret_cast<const uintptr_t*>(top_at);
  sp_ = reinterpret_cast<const uintptr_t*>(sp_at);
  scope_enter_ = reinterpret_cast<void (*)(void*, void*)>(functions.at(kSymbols[2]));
  scope_exit_ = reinterpret_cast<void (*)(void*)>(functions.at(kSymbols[3]));

  // A RegExpStackScope opened and closed gives back an empty dynamic stack
  // (V8's ResetIfEmpty); it must touch only its own two words.
  {
    alignas(16) unsigned char scope[kScopeSpace];
    memset(scope, 0xa5, sizeof(scope));
    scope_enter_(scope, isolate_);
    void* first;
    memcpy(&first, scope, sizeof(first));
    bool untouched = true;
    for (size_t i = 16; i < sizeof(scope); i++) untouched &= scope[i] == 0xa5;
    scope_exit_(scope);
    if (first != regexp_stack || !untouched) {
      *note = "V8's RegExpStackScope is not the expected one";
      return false;
    }
  }
  // Now at rest on the static stack, inside the RegExpStack object.
  const uintptr_t rest = *top_;
  if (*sp_ != rest || rest - object > kWindow) {
    *note = "the regexp stack is not at rest on V8's static stack at load";
    return false;
  }
  // One real archive and restore: the archive leaves the static stack live
  // and at rest, the archived block holds a dynamic stack's top (non-zero:
  // the mark), the restore brings that stack back, and a scope gives it up.
  alignas(16) char block[512] = {};
  const long size = archive_(regexp_stack_, block) - block;
  const bool reset = *top_ == rest && *sp_ == rest;
  const long restored = restore_(regexp_stack_, block) - block;
  const uintptr_t dynamic = *top_;
  bool found = false;
  if (size > 0 && size <= 256 && size % 8 == 0 && restored == size) {
    for (long k = 0; k < size && !found; k += 8) {
      uintptr_t w;
      memcpy(&w, block + k, sizeof(w));
      if (w == dynamic) mark_ = static_cast<size_t>(k), found = true;
    }
  }
  const bool dynamic_ok = dynamic != rest && dynamic != 0 && *sp_ == dynamic && dynamic - object > kWindow;
  alignas(16) unsigned char scope[kScopeSpace];
  scope_enter_(scope, isolate_);
  scope_exit_(scope);
  const bool back = *top_ == rest && *sp_ == rest;
  if (!(reset && dynamic_ok && found && back)) {
    *note = "V8's regexp stack archive does not behave as expected";
    return false;
  }
  static_top_ = rest;
  enabled_ = true;
  return true;
}

bool RegExpSkip::AtRest() {
  const uintptr_t top = *top_;
  if (*sp_ != top) return false;  // a match has entries on it
  if (top == static_top_) return true;
  // An empty dynamic stack (a flow restored from a real archive): given
  // back as V8 gives it back when a match ends. Outside this rare case the
  // switch reads two words.
  alignas(16) unsigned char scope[kScopeSpace];
  scope_enter_(scope, isolate_);
  scope_exit_(scope);
  return *top_ == static_top_ && *sp_ == static_top_;
}

}  // namespace greenpatch
