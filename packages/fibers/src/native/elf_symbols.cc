#include "elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace greenpatch {
namespace {

bool ReadAt(int fd, void* to, size_t n, uint64_t offset) {
  char* p = static_cast<char*>(to);
  while (n > 0) {
    ssize_t r = pread(fd, p, n, static_cast<off_t>(offset));
    if (r <= 0) return false;
    p += r, n -= static_cast<size_t>(r), offset += static_cast<uint64_t>(r);
  }
  return true;
}

// One symbol table and its names, mapped (just those bytes of the file).
struct Table {
  const Elf64_Sym* syms = nullptr;
  size_t count = 0;
  const char* names = nullptr;
  size_t names_size = 0;
};

bool Wanted(const Elf64_Sym& sym, unsigned char type) {
  // An undefined function (st_value 0) is another file's.
  return ELF64_ST_TYPE(sym.st_info) == type && !(type == STT_FUNC && sym.st_value == 0);
}

// The fast pass. Linkers write a table's names in symbol order, so the
// next symbol's st_name tells a name's length without reading it; only
// names of a wanted length are compared (some 23,000 of Node 26's 137,000
// functions: most of the cost of a scan is touching 19 MB of names). A name
// the linker shares with an earlier symbol (the next st_name is then not
// just past it: a few thousand) is read to find its length. Whatever is
// found is checked byte for byte; a layout that breaks the assumption only
// makes the pass miss, and then the full scan runs.
void FastPass(const Table& t, unsigned char type, const std::vector<const char*>& names, ElfSymbols* out) {
  size_t longest = 0;
  for (const char* n : names) longest = std::max(longest, strlen(n));
  std::vector<std::vector<const char*>> by_length(longest + 1);
  for (const char* n : names) by_length[strlen(n)].push_back(n);
  constexpr uint64_t kPlausible = 4096;  // longer, and the name is read
  for (size_t s = 0; s < t.count; s++) {
    const Elf64_Sym& sym = t.syms[s];
    if (!Wanted(sym, type) || sym.st_name >= t.names_size) continue;
    const uint64_t next = s + 1 < t.count ? t.syms[s + 1].st_name : t.names_size;
    const char* name = t.names + sym.st_name;
    uint64_t len;
    if (next > sym.st_name && next - sym.st_name - 1 <= kPlausible && next <= t.names_size) {
      len = next - sym.st_name - 1;
    } else {
      len = strnlen(name, std::min<uint64_t>(longest + 1, t.names_size - sym.st_name));
    }
    if (len > longest || by_length[len].empty()) continue;
    for (const char* n : by_length[len]) {
      // name[len] is within the table: st_name + len < names_size.
      if (memcmp(name, n, len) == 0 && name[len] == '\0' && out->values.count(n) == 0) out->values[n] = sym.st_value;
    }
  }
}

// Every name of the wanted type compared, each bounded by the table's end.
void FullScan(const Table& t, unsigned char type, const std::vector<const char*>& names, ElfSymbols* out) {
  for (size_t s = 0; s < t.count; s++) {
    const Elf64_Sym& sym = t.syms[s];
    if (!Wanted(sym, type) || sym.st_name >= t.names_size) continue;
    const char* name = t.names + sym.st_name;
    const size_t room = t.names_size - sym.st_name;
    if (memchr(name, '\0', room) == nullptr) continue;
    for (const char* n : names) {
      if (strcmp(name, n) == 0 && out->values.count(n) == 0) out->values[n] = sym.st_value;
    }
  }
}

}  // namespace

ElfSymbols FindElfSymbols(const std::string& path, unsigned char type, const std::vector<const char*>& names,
                          bool force_full_scan) {
  ElfSymbols out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st;
  Elf64_Ehdr eh;
  std::vector<Elf64_Shdr> sh;
  const uint64_t size = fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  bool valid = size >= sizeof(eh) && ReadAt(fd, &eh, sizeof(eh), 0) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
               eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shnum > 0 &&
               eh.e_shoff <= size && uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr) <= size - eh.e_shoff;
  if (valid) {
    sh.resize(eh.e_shnum);
    valid = ReadAt(fd, sh.data(), sh.size() * sizeof(Elf64_Shdr), eh.e_shoff);
  }
  if (!valid) {
    close(fd);
    return out;
  }
  out.position_independent = eh.e_type == ET_DYN;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // .symtab first (every symbol, when the file has one), then .dynsym for
  // what is still missing.
  for (uint32_t table_type : {SHT_SYMTAB, SHT_DYNSYM}) {
    for (size_t i = 0; i < sh.size() && out.values.size() < names.size(); i++) {
      const Elf64_Shdr& syms = sh[i];
      if (syms.sh_type != table_type || syms.sh_link >= sh.size() || syms.sh_entsize != sizeof(Elf64_Sym)) continue;
      const Elf64_Shdr& strs = sh[syms.sh_link];
      if (syms.sh_offset > size || syms.sh_size > size - syms.sh_offset || strs.sh_offset > size ||
          strs.sh_size > size - strs.sh_offset || strs.sh_size == 0 || syms.sh_offset % alignof(Elf64_Sym) != 0) {
        continue;
      }
      // Only the two sections are mapped (they are adjacent in Node's
      // binaries), not the 100+ MB file.
      const uint64_t from = std::min(syms.sh_offset, strs.sh_offset) / page * page;
      const uint64_t to = std::max(syms.sh_offset + syms.sh_size, strs.sh_offset + strs.sh_size);
      void* map = mmap(nullptr, to - from, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(from));
      if (map == MAP_FAILED) continue;
      const char* base = static_cast<const char*>(map) - from;
      Table t{reinterpret_cast<const Elf64_Sym*>(base + syms.sh_offset), syms.sh_size / sizeof(Elf64_Sym),
              base + strs.sh_offset, strs.sh_size};
      // Names this table must still provide; a fast pass that misses one
      // is redone in full so that the result is the full scan's.
      std::vector<const char*> missing;
      for (const char* n : names) {
        if (out.values.count(n) == 0) missing.push_back(n);
      }
      ElfSymbols pass;
      if (!force_full_scan) FastPass(t, type, missing, &pass);
      if (pass.values.size() < missing.size()) {
        pass.values.clear();
        FullScan(t, type, missing, &pass);
        out.full_scan = true;
      }
      out.values.insert(pass.values.begin(), pass.values.end());
      munmap(map, to - from);
    }
    if (table_type == SHT_SYMTAB && out.values.size() == names.size()) break;
  }
  close(fd);
  return out;
}

}  // namespace greenpatch
