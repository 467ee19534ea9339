#include "wasm_code_gc.h"

#include <dlfcn.h>
#include <elf.h>
#include <v8.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "elf_file.h"
#include "safe_read.h"
#include "v8_file.h"

namespace greenpatch {
namespace {

constexpr const char* kFlagsSymbol = "_ZN2v88internal8v8_flagsE";  // v8::internal::v8_flags

// Where to look for the flag's byte. v8::internal::v8_flags (one page of
// the struct) where Node exports it (20, 22); elsewhere it is a local
// symbol, and rather than read the executable's 19 MB symbol table, the
// whole .data section that holds it (some 170 kB on Node 24 and 26) is
// searched: the byte must be the only one in it that the flag turns from 1
// to 0 (V8 also records, in its flag list, how the flag was set).
bool FlagsRange(uintptr_t* start, size_t* size) {
  if (void* exported = dlsym(RTLD_DEFAULT, kFlagsSymbol)) {
    *start = reinterpret_cast<uintptr_t>(exported);
    *size = 4096;
    return true;
  }
  std::string path;
  uintptr_t base = 0;
  ElfFile file;
  if (!V8File(&path, &base) || !file.Open(path)) return false;
  const std::vector<Elf64_Shdr>& sections = file.sections();
  for (size_t i = 0; i < sections.size(); i++) {
    const Elf64_Shdr& s = sections[i];
    if (s.sh_type != SHT_PROGBITS || (s.sh_flags & (SHF_WRITE | SHF_ALLOC)) != (SHF_WRITE | SHF_ALLOC)) continue;
    if (s.sh_size == 0 || s.sh_size > (16u << 20) || file.SectionName(i) != ".data") continue;
    *start = (file.header().e_type == ET_DYN ? base : 0) + s.sh_addr;
    *size = s.sh_size;
    return true;
  }
  return false;
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
