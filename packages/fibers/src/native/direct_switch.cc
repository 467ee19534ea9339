#include "direct_switch.h"
#include "elf_symbols.h"
#include "safe_read.h"
#include "symbol_index.h"
#include "v8_file.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace greenpatch {
namespace {

// V8's internal functions the direct path calls, found once per process
// (FindAll).
std::map<std::string, uintptr_t> v8_functions;

// Addresses of the function symbols in `names`, from V8's file (V8File).
// With `full_scan`, its symbol table is read without the symbol index and
// the fast pass (for the test comparing them).
std::map<std::string, uintptr_t> FindFunctions(const std::vector<const char*>& names, bool full_scan = false) {
  std::map<std::string, uintptr_t> found;
  std::string path;
  uintptr_t file_base = 0;
  struct stat st;
  if (!V8File(&path, &file_base) || stat(path.c_str(), &st) != 0) return found;
  const size_t size = static_cast<size_t>(st.st_size);
  // Exported ones (all of them on Node 20 and 22) from the dynamic linker's
  // hash tables, when they lie in that file (its code is within the file's
  // size from its base); the others from its symbol tables.
  std::vector<const char*> missing;
  for (const char* n : names) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(dlsym(RTLD_DEFAULT, n));
    if (address > file_base && address - file_base < size) {
      found[n] = address;
    } else {
      missing.push_back(n);
    }
  }
  if (missing.empty()) return found;
  const ElfSymbols elf = full_scan ? FindElfSymbols(path, STT_FUNC, missing, true) : LookUpElfSymbols(path, STT_FUNC, missing);
  for (const auto& [name, value] : elf.values) found[name] = (elf.position_independent ? file_base : 0) + value;
  return found;
}

// What FindAll looked up, for CompareSymbolLookups.
std::vector<const char*> looked_up;

// The isolate field that `code` (a small V8 function taking the isolate in
// %rdi) reads first with a `mov`/`add disp32(%rdi), %r64`: its offset, or 0.
uintptr_t FirstIsolateField(uintptr_t code_address) {
  unsigned char code[48];
  if (!SafeRead(reinterpret_cast<void*>(code_address), code, sizeof(code))) return 0;
  for (size_t i = 0; i + 7 <= sizeof(code); i++) {
    if ((code[i] & 0xf8) == 0x48 && (code[i + 1] == 0x8b || code[i + 1] == 0x03) && (code[i + 2] & 0xc7) == 0x87) {
      int32_t disp;
      memcpy(&disp, code + i + 3, 4);
      return disp > 0 ? static_cast<uintptr_t>(disp) : 0;
    }
    if (code[i] == 0xc3) break;  // ret
  }
  return 0;
}

// The object a field of the isolate points to, checked against `inner`, an
// address V8 computes inside that object.
void* ObjectFromField(void* isolate, uintptr_t offset, uintptr_t inner, uintptr_t window) {
  void* object = nullptr;
  if (offset == 0 || !SafeRead(static_cast<char*>(isolate) + offset, &object, sizeof(object))) return nullptr;
  uintptr_t o = reinterpret_cast<uintptr_t>(object);
  return o != 0 && o <= inner && inner - o < window ? object : nullptr;
}

}  // namespace

bool DirectSwitch::Init(v8::Isolate* isolate, std::string* error) {
#if !defined(__x86_64__)
  // The ThreadManager and the Debug and RegExpStack objects are found by
  // reading x86-64 machine code; nothing else has been read and checked.
  *error = "the direct switch is available on x86-64 only (V8's objects are found by reading its x86-64 machine code)";
  return false;
#else
  if (!(FindAll(isolate, error) && FindEntryCount(isolate, error))) return false;
  // Interrupt carry-over has checks of its own; failing them turns off only
  // the carry. Before the checks that archive this thread's state: with it,
  // an interrupt another thread raises meanwhile (worker.terminate(), a GC
  // request) waits on the break mutex instead of being overwritten when the
  // live stack guard is restored.
  carry_.Init(isolate, stack_guard_, guard_archive_, guard_restore_, v8_functions, &carry_note_);
  if (!CheckArchiveSize(error)) return false;
  // The regexp stack's skip has checks of its own; failing them, every
  // switch archives it. Before the round trip, which then goes through it.
  regexp_skip_.Init(isolate, regexp_stack_, regexp_archive_, regexp_restore_, v8_functions, &regexp_note_);
  return CheckRoundTrip(isolate, error);
#endif
}

bool DirectSwitch::FindAll(void* isolate, std::string* error) {
  const std::vector<const char*> names = {
      "_ZN2v86Locker8IsLockedEPNS_7IsolateE",
      "_ZN2v88internal13ThreadManager18GetFreeThreadStateEv",
      "_ZN2v88internal13ThreadManager21FirstThreadStateInUseEv",
      "_ZN2v88internal13ThreadManager19FreeThreadResourcesEv",
      "_ZN2v88internal11ThreadStateC1EPNS0_13ThreadManagerE",
      "_ZN2v88internal11ThreadStateD1Ev",
      "_ZN2v88internal11ThreadState13AllocateSpaceEv",
      "_ZN2v88internal11ThreadState8LinkIntoENS1_4ListE",
      "_ZN2v88internal11ThreadState6UnlinkEv",
      "_ZN2v88internal22HandleScopeImplementer13ArchiveThreadEPc",
      "_ZN2v88internal22HandleScopeImplementer13RestoreThreadEPc",
      "_ZN2v88internal7Isolate13ArchiveThreadEPc",
      "_ZN2v88internal7Isolate13RestoreThreadEPc",
      "_ZN2v88internal11Relocatable12ArchiveStateEPNS0_7IsolateEPc",
      "_ZN2v88internal11Relocatable12RestoreStateEPNS0_7IsolateEPc",
      "_ZN2v88internal10StackGuard17ArchiveStackGuardEPc",
      "_ZN2v88internal10StackGuard17RestoreStackGuardEPc",
      "_ZN2v88internal5Debug12ArchiveDebugEPc",
      "_ZN2v88internal5Debug12RestoreDebugEPc",
      "_ZN2v88internal5Debug21ArchiveSpacePerThreadEv",
      "_ZN2v88internal11RegExpStack12ArchiveStackEPc",
      "_ZN2v88internal11RegExpStack12RestoreStackEPc",
      "_ZN2v88internal7Isolate21InitializeThreadLocalEv",
      "_ZN2v88internal5Debug10ThreadInitEv",
      "_ZN2v88internal10StackGuard13SetStackLimitEm",
      "_ZN2v88internal17ExternalReference23debug_is_active_addressEPNS0_7IsolateE",
      "_ZN2v88internal17ExternalReference32handle_scope_implementer_addressEPNS0_7IsolateE",
      "_ZN2v88internal17ExternalReference23address_of_real_jslimitEPNS0_7IsolateE",
      "_ZN2v88internal17ExternalReference37address_of_regexp_stack_limit_addressEPNS0_7IsolateE",
      // For the check of the archive's size.
      "_ZN2v88internal22HandleScopeImplementer21ArchiveSpacePerThreadEv",
      "_ZN2v88internal11Relocatable21ArchiveSpacePerThreadEv",
      "_ZN2v88internal12Bootstrapper21ArchiveSpacePerThreadEv",
  };
  // Found once per process (a scan of the symbol table costs a few
  // milliseconds where the symbols are not exported); every thread checks
  // its own objects.
  static std::once_flag once;
  std::call_once(once, [&] {
    // The interrupt carry's and the regexp skip's too, in the same scan;
    // missing, they turn off only those (Init).
    std::vector<const char*> lookup(names);
    lookup.insert(lookup.end(), std::begin(InterruptCarry::kSymbols), std::end(InterruptCarry::kSymbols));
    lookup.insert(lookup.end(), std::begin(RegExpSkip::kSymbols), std::end(RegExpSkip::kSymbols));
    v8_functions = FindFunctions(lookup);
    looked_up = lookup;
  });
  std::map<std::string, uintptr_t> fn = v8_functions;
  for (const char* n : names) {
    if (fn.count(n) == 0) {
      *error = std::string("V8 internal function not found: ") + n;
      return false;
    }
  }
  auto get = [&](const char* n) { return fn[n]; };
  using AddressOf = uintptr_t (*)(void* isolate);
  const uintptr_t kSpan = 0x40000;  // no isolate field lies further in

  // isolate->thread_manager(): the first `mov disp32(%rdi), %r64` of
  // v8::Locker::IsLocked(isolate).
  {
    unsigned char code[32];
    if (!SafeRead(reinterpret_cast<void*>(get("_ZN2v86Locker8IsLockedEPNS_7IsolateE")), code, sizeof(code))) {
      *error = "cannot read v8::Locker::IsLocked";
      return false;
    }
    for (size_t i = 0; i + 7 <= sizeof(code) && thread_manager_ == nullptr; i++) {
      if ((code[i] & 0xf8) == 0x48 && code[i + 1] == 0x8b && (code[i + 2] & 0xc7) == 0x87) {
        int32_t disp;
        memcpy(&disp, code + i + 3, 4);
        if (disp <= 0 || static_cast<uintptr_t>(disp) >= kSpan) break;
        SafeRead(static_cast<char*>(isolate) + disp, &thread_manager_, sizeof(void*));
      }
    }
    uintptr_t words[32] = {};
    bool holds_isolate = false;
    if (thread_manager_ != nullptr && SafeRead(thread_manager_, words, sizeof(words))) {
      for (uintptr_t w : words) holds_isolate |= w == reinterpret_cast<uintptr_t>(isolate);
    }
    if (!holds_isolate) {
      *error = "the ThreadManager could not be found";
      return false;
    }
  }
  // The handle-scope implementer: its address is an external reference; its
  // first field is the isolate.
  {
    void** field = reinterpret_cast<void**>(
        reinterpret_cast<AddressOf>(get("_ZN2v88internal17ExternalReference32handle_scope_implementer_addressEPNS0_7IsolateE"))(isolate));
    void* first = nullptr;
    if (!SafeRead(field, &handle_scopes_, sizeof(void*)) || !SafeRead(handle_scopes_, &first, sizeof(void*)) || first != isolate) {
      *error = "the handle-scope implementer could not be found";
      return false;
    }
  }
  // The stack guard (embedded in the isolate): V8's StackGuard is the isolate
  // pointer followed by its thread-local limits, the first of which is
  // real_jslimit_, so the guard is the word just below the address
  // address_of_real_jslimit() returns (isolate + 8 on V8 11.3 to 14.6, read
  // from StackGuard::SetStackLimit's code). That word must hold the isolate.
  // An earlier scan down from the JS limit for the first such word could stop
  // too high when a limit above the guard happened to hold the same value.
  {
    uintptr_t real_jslimit = reinterpret_cast<AddressOf>(get("_ZN2v88internal17ExternalReference23address_of_real_jslimitEPNS0_7IsolateE"))(isolate);
    void* w = nullptr;
    if (real_jslimit > 8 && SafeRead(reinterpret_cast<void*>(real_jslimit - 8), &w, sizeof(w)) && w == isolate) {
      stack_guard_ = reinterpret_cast<void*>(real_jslimit - 8);
    }
    if (stack_guard_ == nullptr) {
      *error = "the stack guard could not be found";
      return false;
    }
  }
  // Debug and the regexp stack: the isolate fields that V8's external
  // references to their members read, checked against those references.
  {
    const char* active_ref = "_ZN2v88internal17ExternalReference23debug_is_active_addressEPNS0_7IsolateE";
    const char* limit_ref = "_ZN2v88internal17ExternalReference37address_of_regexp_stack_limit_addressEPNS0_7IsolateE";
    uintptr_t active = reinterpret_cast<AddressOf>(get(active_ref))(isolate);
    debug_ = ObjectFromField(isolate, FirstIsolateField(get(active_ref)), active, 0x100);
    debug_active_ = reinterpret_cast<const bool*>(active);
    uintptr_t limit = reinterpret_cast<AddressOf>(get(limit_ref))(isolate);
    regexp_stack_ = ObjectFromField(isolate, FirstIsolateField(get(limit_ref)), limit, 0x1000);
    if (debug_ == nullptr || regexp_stack_ == nullptr) {
      *error = debug_ == nullptr ? "V8's Debug object could not be found" : "V8's RegExpStack object could not be found";
      return false;
    }
  }
  get_free_state_ = reinterpret_cast<void* (*)(void*)>(get("_ZN2v88internal13ThreadManager18GetFreeThreadStateEv"));
  link_into_ = reinterpret_cast<void (*)(void*, int)>(get("_ZN2v88internal11ThreadState8LinkIntoENS1_4ListE"));
  unlink_ = reinterpret_cast<Method>(get("_ZN2v88internal11ThreadState6UnlinkEv"));
  // ThreadState::data_: the word its constructor leaves null and
  // AllocateSpace() sets. The probe is this call's own: workers load the
  // engine at the same time, and a probe shared between threads let two of
  // them delete one data block twice, after which malloc handed that block
  // to both threads' ThreadStates and each restored the other's V8 state
  // (docs/engine-direct-switch.md, "Threads loading at once").
  {
    alignas(16) unsigned char probe[256];
    memset(probe, 0, sizeof(probe));
    reinterpret_cast<void (*)(void*, void*)>(get("_ZN2v88internal11ThreadStateC1EPNS0_13ThreadManagerE"))(probe, thread_manager_);
    uintptr_t before[8];
    memcpy(before, probe, sizeof(before));
    reinterpret_cast<Method>(get("_ZN2v88internal11ThreadState13AllocateSpaceEv"))(probe);
    uintptr_t after[8];
    memcpy(after, probe, sizeof(after));
    int hits = 0;
    for (int k = 0; k < 8; k++) {
      if (before[k] == 0 && after[k] != 0) {
        data_offset_ = k * sizeof(uintptr_t);
        hits++;
      }
    }
    reinterpret_cast<Method>(get("_ZN2v88internal11ThreadStateD1Ev"))(probe);
    if (hits != 1) {
      *error = "V8's ThreadState layout is not the expected one";
      return false;
    }
  }
  hsi_archive_ = reinterpret_cast<Archiver>(get("_ZN2v88internal22HandleScopeImplementer13ArchiveThreadEPc"));
  hsi_restore_ = reinterpret_cast<Archiver>(get("_ZN2v88internal22HandleScopeImplementer13RestoreThreadEPc"));
  isolate_archive_ = reinterpret_cast<Archiver>(get("_ZN2v88internal7Isolate13ArchiveThreadEPc"));
  isolate_restore_ = reinterpret_cast<Archiver>(get("_ZN2v88internal7Isolate13RestoreThreadEPc"));
  reloc_archive_ = reinterpret_cast<IsolateArchiver>(get("_ZN2v88internal11Relocatable12ArchiveStateEPNS0_7IsolateEPc"));
  reloc_restore_ = reinterpret_cast<IsolateArchiver>(get("_ZN2v88internal11Relocatable12RestoreStateEPNS0_7IsolateEPc"));
  guard_archive_ = reinterpret_cast<Archiver>(get("_ZN2v88internal10StackGuard17ArchiveStackGuardEPc"));
  guard_restore_ = reinterpret_cast<Archiver>(get("_ZN2v88internal10StackGuard17RestoreStackGuardEPc"));
  debug_archive_ = reinterpret_cast<Archiver>(get("_ZN2v88internal5Debug12ArchiveDebugEPc"));
  debug_restore_ = reinterpret_cast<Archiver>(get("_ZN2v88internal5Debug12RestoreDebugEPc"));
  debug_size_ = reinterpret_cast<int (*)()>(get("_ZN2v88internal5Debug21ArchiveSpacePerThreadEv"))();
  regexp_archive_ = reinterpret_cast<Archiver>(get("_ZN2v88internal11RegExpStack12ArchiveStackEPc"));
  regexp_restore_ = reinterpret_cast<Archiver>(get("_ZN2v88internal11RegExpStack12RestoreStackEPc"));
  init_thread_local_ = reinterpret_cast<Method>(get("_ZN2v88internal7Isolate21InitializeThreadLocalEv"));
  debug_thread_init_ = reinterpret_cast<Method>(get("_ZN2v88internal5Debug10ThreadInitEv"));
  set_stack_limit_ = reinterpret_cast<void (*)(void*, uintptr_t)>(get("_ZN2v88internal10StackGuard13SetStackLimitEm"));
  free_thread_resources_ = reinterpret_cast<Method>(get("_ZN2v88internal13ThreadManager19FreeThreadResourcesEv"));
  isolate_ = isolate;
  // The list values: a state linked as IN_USE_LIST (1) must come first in
  // the in-use list, and leave it when unlinked.
  {
    auto first_in_use = reinterpret_cast<void* (*)(void*)>(get("_ZN2v88internal13ThreadManager21FirstThreadStateInUseEv"));
    void* state = get_free_state_(thread_manager_);
    unlink_(state);
    link_into_(state, 1);
    bool linked = first_in_use(thread_manager_) == state;
    unlink_(state);
    bool unlinked = first_in_use(thread_manager_) != state;
    link_into_(state, 0);
    if (!linked || !unlinked) {
      *error = "V8's ThreadState lists do not behave as expected";
      return false;
    }
    first_in_use_ = first_in_use;
  }
  allocate_space_ = get("_ZN2v88internal11ThreadState13AllocateSpaceEv");
  space_fns_[0] = get("_ZN2v88internal22HandleScopeImplementer21ArchiveSpacePerThreadEv");
  space_fns_[1] = get("_ZN2v88internal5Debug21ArchiveSpacePerThreadEv");
  space_fns_[2] = get("_ZN2v88internal12Bootstrapper21ArchiveSpacePerThreadEv");
  space_fns_[3] = get("_ZN2v88internal11Relocatable21ArchiveSpacePerThreadEv");
  // The real limit, not the one an interrupt request lowers: another thread
  // (a concurrent compile job, the collector) may raise one during the check.
  real_jslimit_ = reinterpret_cast<const uintptr_t*>(reinterpret_cast<AddressOf>(
      get("_ZN2v88internal17ExternalReference23address_of_real_jslimitEPNS0_7IsolateE"))(isolate));
  return true;
}

bool DirectSwitch::FindEntryCount(v8::Isolate* isolate, std::string* error) {
  // v8::Isolate::IsInUse() is `entry_stack_ != nullptr`: its first
  // `mov disp32(%rdi), %rax` or `cmpq $0, disp32(%rdi)` names the field.
  unsigned char code[24];
  if (!SafeRead(reinterpret_cast<void*>(&v8::Isolate::IsInUse), code, sizeof(code))) {
    *error = "cannot read v8::Isolate::IsInUse";
    return false;
  }
  int32_t disp = 0;
  for (size_t i = 0; i + 8 <= sizeof(code) && disp == 0; i++) {
    const bool mov = code[i] == 0x48 && code[i + 1] == 0x8b && code[i + 2] == 0x87;
    const bool cmp = code[i] == 0x48 && code[i + 1] == 0x83 && code[i + 2] == 0xbf && code[i + 7] == 0;
    if (mov || cmp) memcpy(&disp, code + i + 3, 4);
  }
  // Checked: the item's first int is the entry count, up by one inside an
  // Enter() and back after the Exit(), the item itself unchanged.
  void* item = nullptr;
  int before = 0, inside = 0, after = 0;
  bool ok = disp > 0 && static_cast<uintptr_t>(disp) < 0x40000 &&
            SafeRead(reinterpret_cast<char*>(isolate) + disp, &item, sizeof(item)) && item != nullptr &&
            SafeRead(item, &before, sizeof(before)) && before >= 1;
  if (ok) {
    void* item_inside = nullptr;
    isolate->Enter();
    ok = SafeRead(reinterpret_cast<char*>(isolate) + disp, &item_inside, sizeof(item_inside)) &&
         SafeRead(item, &inside, sizeof(inside));
    isolate->Exit();
    ok = ok && item_inside == item && inside == before + 1 && SafeRead(item, &after, sizeof(after)) &&
         after == before;
  }
  if (!ok) {
    *error = "V8's isolate entry count could not be found";
    return false;
  }
  entry_stack_offset_ = static_cast<size_t>(disp);
  return true;
}

bool DirectSwitch::CheckArchiveSize(std::string* error) {
  using Space = int (*)();
  const int hsi_space = reinterpret_cast<Space>(space_fns_[0])();
  const int boot_space = reinterpret_cast<Space>(space_fns_[2])();
  const int reloc_space = reinterpret_cast<Space>(space_fns_[3])();
  // The size of each piece, as its archive and restore functions step over
  // it, archiving this thread's state into a ThreadState of V8's and
  // restoring it at once (nothing runs in between).
  void* state = get_free_state_(thread_manager_);
  unlink_(state);
  link_into_(state, 1);
  char* const data = *reinterpret_cast<char**>(static_cast<char*>(state) + data_offset_);
  long archived[6], restored[6];
  char* p = data;
  char* q;
  q = hsi_archive_(handle_scopes_, p), archived[0] = q - p, p = q;
  q = isolate_archive_(isolate_, p), archived[1] = q - p, p = q;
  q = reloc_archive_(isolate_, p), archived[2] = q - p, p = q;
  // The stack guard is the one piece other threads write (interrupt
  // requests): restored at once, under the break mutex when the carry
  // found it, so that no request lands in the reset block in between.
  carry_.Hold();
  q = guard_archive_(stack_guard_, p), archived[3] = q - p;
  restored[3] = guard_restore_(stack_guard_, p) - p;
  carry_.Deliver();
  p = q;
  q = debug_archive_(debug_, p), archived[4] = q - p, p = q;
  q = regexp_archive_(regexp_stack_, p), archived[5] = q - p;
  p = data;
  q = hsi_restore_(handle_scopes_, p), restored[0] = q - p, p = q;
  q = isolate_restore_(isolate_, p), restored[1] = q - p, p = q;
  q = reloc_restore_(isolate_, p), restored[2] = q - p, p = q + archived[3];
  q = debug_restore_(debug_, p), restored[4] = q - p, p = q;
  q = regexp_restore_(regexp_stack_, p), restored[5] = q - p;
  unlink_(state);
  link_into_(state, 0);
  long total = boot_space;
  for (int i = 0; i < 6; i++) {
    if (archived[i] <= 0 || archived[i] != restored[i]) {
      *error = "V8's archive and restore functions disagree on the size of a thread's state";
      return false;
    }
    total += archived[i];
  }
  if (archived[0] != hsi_space || archived[2] != reloc_space || archived[4] != debug_size_) {
    *error = "V8's archive functions do not step over what ArchiveSpacePerThread() says";
    return false;
  }
  // What V8 allocates: ThreadState::AllocateSpace() is new char[n] with n
  // the sum of four ArchiveSpacePerThread() calls and one constant, the
  // size of the three pieces whose size is a compile-time sizeof
  // (ThreadLocalTop, the stack guard's and the regexp stack's thread-local
  // data). All four calls and that constant must be in its code, and the
  // block at least as large as the known pieces (a subsystem V8 archives
  // and the engine does not would change the constant or add a call).
  const long inline_pieces = archived[1] + archived[3] + archived[5];
  unsigned char code[128];
  if (!SafeRead(reinterpret_cast<void*>(allocate_space_), code, sizeof(code))) {
    *error = "cannot read ThreadState::AllocateSpace";
    return false;
  }
  bool calls[4] = {};
  bool constant = false;
  for (size_t i = 0; i + 5 <= sizeof(code); i++) {
    int32_t word;
    memcpy(&word, code + i + 1, 4);
    if (code[i] == 0xe8) {
      const uintptr_t target = allocate_space_ + i + 5 + static_cast<intptr_t>(word);
      for (int k = 0; k < 4; k++) calls[k] |= target == space_fns_[k];
    }
    memcpy(&word, code + i, 4);
    constant |= word == inline_pieces;
  }
  if (!(calls[0] && calls[1] && calls[2] && calls[3] && constant)) {
    *error = "V8's ThreadState::AllocateSpace() allocates pieces the engine does not archive";
    return false;
  }
  if (malloc_usable_size(data) < static_cast<size_t>(total)) {
    *error = "V8's thread state block is smaller than the pieces archived into it";
    return false;
  }
  archive_size_ = total;
  return true;
}

bool DirectSwitch::CheckRoundTrip(v8::Isolate* isolate, std::string* error) {
  v8::HandleScope scope(isolate);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (context.IsEmpty()) {
    *error = "no JavaScript context at load to check a round trip with";
    return false;
  }
  v8::Local<v8::Context> entered = isolate->GetEnteredOrMicrotaskContext();
  v8::Local<v8::Object> object = v8::Object::New(isolate);
  v8::Global<v8::Object> same(isolate, object);
  const uintptr_t limit = *real_jslimit_;
  void* state = nullptr;
  Archive(&state);
  // Archived: visible to the collector, and the live stack guard reset.
  const bool listed = first_in_use_(thread_manager_) == state;
  const bool reset = *real_jslimit_ != limit;
  Restore(state);
  const bool unlisted = first_in_use_(thread_manager_) != state;
  Release(state);
  if (!listed || !unlisted) {
    *error = "an archived state is not in V8's list of archived threads (the collector would not see it)";
    return false;
  }
  if (!reset || *real_jslimit_ != limit) {
    *error = "the stack limit did not come back from a round trip through the direct switch";
    return false;
  }
  if (isolate->GetCurrentContext() != context || isolate->GetEnteredOrMicrotaskContext() != entered ||
      object != same) {
    *error = "the context or a handle did not come back from a round trip through the direct switch";
    return false;
  }
  return true;
}

void DirectSwitch::Archive(void** state) {
  if (*state == nullptr) {
    *state = get_free_state_(thread_manager_);
    unlink_(*state);  // from the free list (a new one is linked to itself)
  }
  // Linked before anything is written: from here the collector visits it.
  link_into_(*state, 1);
  char* to = *reinterpret_cast<char**>(static_cast<char*>(*state) + data_offset_);
  // V8's order (ThreadManager::EagerlyArchiveThread), which its Iterate()
  // reads back with fixed sizes. The bootstrapper's nesting depth is left
  // out: it is zero whenever JavaScript can run a switch.
  to = hsi_archive_(handle_scopes_, to);
  to = isolate_archive_(isolate_, to);
  to = reloc_archive_(isolate_, to);
  // Interrupts pending for this flow go on to the next one (Restore or
  // StartFlow delivers them); the break mutex is held until then.
  carry_.Hold();
  char* guard = to;
  to = guard_archive_(stack_guard_, to);
  carry_.Take(guard);
  to = debug_archive_(debug_, to);
  regexp_skip_.Archive(to);
}

void DirectSwitch::Restore(void* state) {
  char* from = *reinterpret_cast<char**>(static_cast<char*>(state) + data_offset_);
  from = hsi_restore_(handle_scopes_, from);
  from = isolate_restore_(isolate_, from);
  from = reloc_restore_(isolate_, from);
  from = guard_restore_(stack_guard_, from);
  carry_.Deliver();
  // Without a debugger, every flow's Debug state is the initial one, and
  // RestoreDebug's work (a DebugScope and its stack walk) is for debuggers.
  from = *debug_active_ ? debug_restore_(debug_, from) : from + debug_size_;
  regexp_skip_.Restore(from);
  unlink_(state);
}

void DirectSwitch::StartFlow(uintptr_t js_stack_limit) {
  init_thread_local_(isolate_);
  debug_thread_init_(debug_);
  set_stack_limit_(stack_guard_, js_stack_limit);
  carry_.Deliver();
}

void DirectSwitch::EndFlow() {
  // The resumer's Restore() delivers what this flow leaves pending. Taken
  // after FreeThreadResources(), which reads the live stack guard's limits.
  carry_.Hold();
  free_thread_resources_(thread_manager_);
  carry_.TakeLive();
}

void DirectSwitch::Release(void* state) { link_into_(state, 0); }

bool DirectSwitch::CompareSymbolLookups(std::string* report) {
  if (looked_up.empty()) {
    *report = "the direct path's functions were not looked up in this process";
    return false;
  }
  // As the engine looks them up (exported ones through dlsym), and every
  // one straight from the symbol table, each with and without the fast pass.
  std::string path;
  uintptr_t base = 0;
  if (!V8File(&path, &base)) {
    *report = "no file holds v8::Locker::IsLocked";
    return false;
  }
  const ElfSymbols fast = FindElfSymbols(path, STT_FUNC, looked_up);
  const ElfSymbols full = FindElfSymbols(path, STT_FUNC, looked_up, true);
  const bool same = FindFunctions(looked_up, true) == v8_functions && fast.values == full.values;
  *report = std::to_string(looked_up.size()) + " names; " + std::to_string(v8_functions.size()) + " found by the engine, " +
            std::to_string(fast.values.size()) + " in the symbol tables" +
            (fast.full_scan ? " (the fast pass missed some: full scan)" : " (fast pass)") +
            (same ? "; the full scan finds the same addresses" : "; the full scan finds other addresses");
  return same;
}

}  // namespace greenpatch
