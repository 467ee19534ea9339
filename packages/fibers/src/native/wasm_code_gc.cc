#include "wasm_code_gc.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <v8.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "safe_read.h"

namespace greenpatch {
namespace {

constexpr const char* kFlagsSymbol = "_ZN2v88internal8v8_flagsE";  // v8::internal::v8_flags

bool ReadAt(int fd, void* to, size_t n, uint64_t offset) {
  return pread(fd, to, n, static_cast<off_t>(offset)) == static_cast<ssize_t>(n);
}

// Where to look for the flag's byte. v8::internal::v8_flags (one page of
// the struct) where Node exports it (20, 22); elsewhere it is a local
// symbol, and rather than read the executable's 19 MB symbol table, the
// whole .data section that holds it (some 170 kB on Node 24 and 26) is
// searched: the byte must be the only one in it that the flag turns from 1
// to 0 (V8 also records, in its flag list, how the flag was set).
bool FlagsRange(uintptr_t* start, size_t* size) {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&v8::Locker::IsLocked), &info) == 0 || info.dli_fname == nullptr) return false;
  if (void* exported = dlsym(RTLD_DEFAULT, kFlagsSymbol)) {
    *start = reinterpret_cast<uintptr_t>(exported);
    *size = 4096;
    return true;
  }
  std::string path = info.dli_fname;
  if (path.empty() || path.find('/') == std::string::npos) path = "/proc/self/exe";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool found = false;
  Elf64_Ehdr eh;
  if (ReadAt(fd, &eh, sizeof(eh), 0) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_shentsize == sizeof(Elf64_Shdr) &&
      eh.e_shnum > 0 && eh.e_shnum < 1024 && eh.e_shstrndx < eh.e_shnum) {
    std::vector<Elf64_Shdr> sh(eh.e_shnum);
    if (ReadAt(fd, sh.data(), sh.size() * sizeof(Elf64_Shdr), eh.e_shoff)) {
      const Elf64_Shdr& names = sh[eh.e_shstrndx];
      for (const Elf64_Shdr& s : sh) {
        char name[6] = {0};
        if (s.sh_type != SHT_PROGBITS || (s.sh_flags & (SHF_WRITE | SHF_ALLOC)) != (SHF_WRITE | SHF_ALLOC)) continue;
        if (s.sh_name >= names.sh_size || !ReadAt(fd, name, sizeof(name), names.sh_offset + s.sh_name)) continue;
        if (memcmp(name, ".data", sizeof(name)) != 0 || s.sh_size == 0 || s.sh_size > (16u << 20)) continue;
        *start = (eh.e_type == ET_DYN ? reinterpret_cast<uintptr_t>(info.dli_fbase) : 0) + s.sh_addr;
        *size = s.sh_size;
        found = true;
        break;
      }
    }
  }
  close(fd);
  return found;
}

bool SafeWrite(void* addr, const void* in, size_t size) {
  struct iovec local = {const_cast<void*>(in), size};
  struct iovec remote = {addr, size};
  return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

// The byte `--no-wasm-code-gc` changes from 1 to 0 in [start, start+size)
// and `--wasm-code-gc` changes back, with V8's hash as it was; nullptr when
// that is not exactly one byte. Leaves the flag at V8's default again.
unsigned char* FindFlagByte(uintptr_t start, size_t size, uint32_t tag, std::string* why) {
  std::vector<unsigned char> before(size), after(size);
  if (!SafeRead(reinterpret_cast<void*>(start), before.data(), size)) return *why = "the flags not readable", nullptr;
  v8::V8::SetFlagsFromString("--no-wasm-code-gc");
  const bool read = SafeRead(reinterpret_cast<void*>(start), after.data(), size);
  v8::V8::SetFlagsFromString("--wasm-code-gc");
  if (!read) return *why = "the flags not readable", nullptr;
  // The flag is the one bool that went from true to false. (V8 also notes
  // how each flag was set, in its flag list beside v8_flags.)
  unsigned char* byte = nullptr;
  for (size_t i = 0; i < size; i++) {
    if (before[i] != 1 || after[i] != 0) continue;
    if (byte != nullptr) return *why = "more than one byte went from 1 to 0 with the flag", nullptr;
    byte = reinterpret_cast<unsigned char*>(start + i);
  }
  if (byte == nullptr) return *why = "no byte went from 1 to 0 with the flag (already off?)", nullptr;
  unsigned char now = 0;
  if (!SafeRead(byte, &now, 1) || now != 1) return *why = "the flag did not return to its default", nullptr;
  if (v8::ScriptCompiler::CachedDataVersionTag() != tag) return *why = "the flag hash did not return", nullptr;
  return byte;
}

std::string TurnOff() {
  // V8 computes its flag hash when first asked and keeps it until a flag is
  // set through its API; the code cache checks compare against it.
  const uint32_t tag = v8::ScriptCompiler::CachedDataVersionTag();
  std::string why;
  uintptr_t start = 0;
  size_t size = 0;
  unsigned char* byte = !FlagsRange(&start, &size) ? (why = "v8_flags not found", nullptr) : FindFlagByte(start, size, tag, &why);
  if (byte != nullptr) {
    const unsigned char off = 0;
    unsigned char now = 1;
    if (!SafeWrite(byte, &off, 1)) {
      why = "v8_flags not writable";
    } else if (!SafeRead(byte, &now, 1) || now != 0) {
      why = "the write did not hold";
    } else if (v8::ScriptCompiler::CachedDataVersionTag() != tag) {
      // The hash was recomputed from the flags: what SetFlagsFromString
      // would have done, and the flag is off either way.
      return "in place (the flag hash changed)";
    } else {
      return "in place";
    }
  }
  v8::V8::SetFlagsFromString("--no-wasm-code-gc");
  return "through V8 (" + why + ")";
}

}  // namespace

const std::string& TurnOffWasmCodeGc() {
  static std::once_flag once;
  static std::string how;
  std::call_once(once, [] { how = TurnOff(); });
  return how;
}

}  // namespace greenpatch
