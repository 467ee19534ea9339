#include "debug_stepping.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <mutex>

namespace greenpatch {
namespace {

using ClearSteppingFn = void (*)(v8::Isolate*);

// v8::debug::ClearStepping(v8::Isolate*): exported by Node 20 and 22, a
// local symbol (in .symtab only) in the 24 and 26 binaries.
constexpr const char* kClearStepping = "_ZN2v85debug13ClearSteppingEPNS_7IsolateE";
// An exported function of the same binary, found both ways: dlsym's address
// minus its .symtab value gives where the executable is loaded (and proves
// that the file read is the one running).
constexpr const char* kAnchor = "_ZN2v87Isolate10GetCurrentEv";

ClearSteppingFn g_clear = nullptr;
std::once_flag g_once;

// The .symtab values of kClearStepping and kAnchor in the running executable.
bool ReadSymtab(uint64_t* clear, uint64_t* anchor) {
  *clear = *anchor = 0;
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
    close(fd);
    return false;
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return false;
  const char* base = static_cast<const char*>(map);
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  bool valid = memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
               eh->e_shentsize == sizeof(Elf64_Shdr) &&
               eh->e_shoff + uint64_t{eh->e_shnum} * sizeof(Elf64_Shdr) <= size;
  const auto* sh = valid ? reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff) : nullptr;
  for (int i = 0; valid && i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
    const Elf64_Shdr& strtab = sh[sh[i].sh_link];
    if (sh[i].sh_offset + sh[i].sh_size > size || strtab.sh_offset + strtab.sh_size > size) continue;
    const auto* syms = reinterpret_cast<const Elf64_Sym*>(base + sh[i].sh_offset);
    const char* names = base + strtab.sh_offset;
    size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
    for (size_t s = 0; s < n; s++) {
      if (ELF64_ST_TYPE(syms[s].st_info) != STT_FUNC || syms[s].st_name >= strtab.sh_size) continue;
      const char* name = names + syms[s].st_name;
      if (strcmp(name, kClearStepping) == 0) *clear = syms[s].st_value;
      else if (strcmp(name, kAnchor) == 0) *anchor = syms[s].st_value;
    }
  }
  munmap(map, size);
  return *clear != 0 && *anchor != 0;
}

void Resolve() {
  if (void* exported = dlsym(RTLD_DEFAULT, kClearStepping)) {
    g_clear = reinterpret_cast<ClearSteppingFn>(exported);
    return;
  }
  void* anchor = dlsym(RTLD_DEFAULT, kAnchor);
  if (anchor == nullptr) return;
  uint64_t clear_value = 0, anchor_value = 0;
  if (!ReadSymtab(&clear_value, &anchor_value)) return;
  // The load bias: 0 for a non-PIE executable, its base for a PIE one.
  // Anything else means the .symtab read does not describe the code running.
  Dl_info info;
  if (dladdr(anchor, &info) == 0) return;
  uintptr_t load = reinterpret_cast<uintptr_t>(anchor) - anchor_value;
  if (load != 0 && load != reinterpret_cast<uintptr_t>(info.dli_fbase)) return;
  g_clear = reinterpret_cast<ClearSteppingFn>(load + clear_value);
}

}  // namespace

bool CanClearStepping() {
  std::call_once(g_once, Resolve);
  return g_clear != nullptr;
}

void ClearSteppingBeforeSwitch(v8::Isolate* isolate) {
  if (CanClearStepping()) g_clear(isolate);
}

}  // namespace greenpatch
