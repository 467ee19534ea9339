#include "direct_switch.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <vector>

namespace greenpatch {
namespace {

// Reads `size` bytes at `addr` of this process without faulting: false when
// any of it is not mapped.
bool SafeRead(const void* addr, void* out, size_t size) {
  struct iovec local = {out, size};
  struct iovec remote = {const_cast<void*>(addr), size};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

// Addresses of the function symbols in `names`, from the ELF file that holds
// v8::Locker::IsLocked (the executable, or a shared libnode).
std::map<std::string, uintptr_t> FindFunctions(const std::vector<const char*>& names) {
  std::map<std::string, uintptr_t> found;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&v8::Locker::IsLocked), &info) == 0 || info.dli_fname == nullptr) return found;
  std::string path = info.dli_fname;
  if (path.empty() || path.find('/') == std::string::npos) path = "/proc/self/exe";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return found;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return found;
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return found;
  const char* base = static_cast<const char*>(map);
  const Elf64_Ehdr* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  const uintptr_t load = eh->e_type == ET_DYN ? reinterpret_cast<uintptr_t>(info.dli_fbase) : 0;
  std::map<std::string, bool> wanted;
  for (const char* n : names) wanted[n] = true;
  const Elf64_Shdr* sh = reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM) continue;
    const Elf64_Shdr& strtab = sh[sh[i].sh_link];
    const Elf64_Sym* syms = reinterpret_cast<const Elf64_Sym*>(base + sh[i].sh_offset);
    const char* strs = base + strtab.sh_offset;
    for (size_t s = 0; s < sh[i].sh_size / sizeof(Elf64_Sym); s++) {
      if (ELF64_ST_TYPE(syms[s].st_info) != STT_FUNC || syms[s].st_value == 0) continue;
      const char* name = strs + syms[s].st_name;
      if (wanted.count(name) != 0 && found.count(name) == 0) found[name] = load + syms[s].st_value;
    }
  }
  munmap(map, size);
  return found;
}

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

bool DirectSwitch::Init(v8::Isolate* api_isolate, std::string* error) {
#if !defined(__x86_64__)
  *error = "the direct switch prototype finds the ThreadManager on x86-64 only";
  return false;
#else
  void* isolate = api_isolate;
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
      "_ZN2v88internal17ExternalReference18address_of_jslimitEPNS0_7IsolateE",
      "_ZN2v88internal17ExternalReference37address_of_regexp_stack_limit_addressEPNS0_7IsolateE",
  };
  std::map<std::string, uintptr_t> fn = FindFunctions(names);
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
  // The stack guard (embedded in the isolate): the word holding the isolate
  // just below its JavaScript limit.
  {
    uintptr_t jslimit = reinterpret_cast<AddressOf>(get("_ZN2v88internal17ExternalReference18address_of_jslimitEPNS0_7IsolateE"))(isolate);
    for (uintptr_t a = jslimit - 8; a + 64 > jslimit && stack_guard_ == nullptr; a -= 8) {
      void* w = nullptr;
      if (SafeRead(reinterpret_cast<void*>(a), &w, sizeof(w)) && w == isolate) stack_guard_ = reinterpret_cast<void*>(a);
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
  // AllocateSpace() sets.
  {
    alignas(16) static unsigned char probe[256];
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
  }
  // Interrupt carry-over has checks of its own; failing them turns off only
  // the carry.
  carry_.Init(api_isolate, stack_guard_, guard_archive_, guard_restore_,
              FindFunctions({std::begin(InterruptCarry::kSymbols), std::end(InterruptCarry::kSymbols)}), &carry_note_);
  return true;
#endif
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
  regexp_archive_(regexp_stack_, to);
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
  regexp_restore_(regexp_stack_, from);
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

}  // namespace greenpatch
