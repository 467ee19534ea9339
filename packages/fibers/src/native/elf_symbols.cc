#include "elf_symbols.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace greenpatch {
namespace {

// One symbol table and its names, mapped (just those bytes of the file).
struct Table {
  uint32_t section = 0;
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
  // Until every name is found: the first of each in table order is taken.
  for (size_t s = 0; s < t.count && out->values.size() < names.size(); s++) {
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
      if (memcmp(name, n, len) == 0 && name[len] == '\0' && out->values.count(n) == 0) {
        out->values[n] = sym.st_value;
        out->refs[n] = {t.section, s};
      }
    }
  }
}

// Every name of the wanted type compared, each bounded by the table's end.
void FullScan(const Table& t, unsigned char type, const std::vector<const char*>& names, ElfSymbols* out) {
  for (size_t s = 0; s < t.count && out->values.size() < names.size(); s++) {
    const Elf64_Sym& sym = t.syms[s];
    if (!Wanted(sym, type) || sym.st_name >= t.names_size) continue;
    const char* name = t.names + sym.st_name;
    const size_t room = t.names_size - sym.st_name;
    if (memchr(name, '\0', room) == nullptr) continue;
    for (const char* n : names) {
      if (strcmp(name, n) == 0 && out->values.count(n) == 0) {
        out->values[n] = sym.st_value;
        out->refs[n] = {t.section, s};
      }
    }
  }
}

}  // namespace

ElfSymbols FindElfSymbols(const ElfFile& file, unsigned char type, const std::vector<const char*>& names,
                          bool force_full_scan) {
  ElfSymbols out;
  const std::vector<Elf64_Shdr>& sh = file.sections();
  if (sh.empty()) return out;
  out.position_independent = file.header().e_type == ET_DYN;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // .symtab first (every symbol, when the file has one), then .dynsym for
  // what is still missing.
  for (uint32_t table_type : {SHT_SYMTAB, SHT_DYNSYM}) {
    for (size_t i = 0; i < sh.size() && out.values.size() < names.size(); i++) {
      const Elf64_Shdr* strs = nullptr;
      if (!file.SymbolTable(i, table_type, &strs)) continue;
      const Elf64_Shdr& syms = sh[i];
      // Only the two sections are mapped (they are adjacent in Node's
      // binaries), not the 100+ MB file.
      const uint64_t from = std::min(syms.sh_offset, strs->sh_offset) / page * page;
      const uint64_t to = std::max(syms.sh_offset + syms.sh_size, strs->sh_offset + strs->sh_size);
      void* map = mmap(nullptr, to - from, PROT_READ, MAP_PRIVATE, file.fd(), static_cast<off_t>(from));
      if (map == MAP_FAILED) continue;
      const char* base = static_cast<const char*>(map) - from;
      Table t{static_cast<uint32_t>(i), reinterpret_cast<const Elf64_Sym*>(base + syms.sh_offset),
              syms.sh_size / sizeof(Elf64_Sym), base + strs->sh_offset, strs->sh_size};
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
        pass.refs.clear();
        FullScan(t, type, missing, &pass);
        out.full_scan = true;
      }
      out.values.insert(pass.values.begin(), pass.values.end());
      out.refs.insert(pass.refs.begin(), pass.refs.end());
      munmap(map, to - from);
    }
    if (table_type == SHT_SYMTAB && out.values.size() == names.size()) break;
  }
  return out;
}

ElfSymbols FindElfSymbols(const std::string& path, unsigned char type, const std::vector<const char*>& names,
                          bool force_full_scan) {
  ElfFile file;
  if (!file.Open(path)) return ElfSymbols();
  return FindElfSymbols(file, type, names, force_full_scan);
}

bool ReadElfSymbols(const ElfFile& file, unsigned char type, const std::map<std::string, ElfSymbolRef>& refs,
                    ElfSymbols* out) {
  *out = ElfSymbols();
  out->position_independent = file.header().e_type == ET_DYN;
  std::string name;
  for (const auto& [wanted, ref] : refs) {
    const Elf64_Shdr* strs = nullptr;
    if (!file.SymbolTable(ref.table, SHT_SYMTAB, &strs) && !file.SymbolTable(ref.table, SHT_DYNSYM, &strs)) {
      return false;
    }
    const Elf64_Shdr& syms = file.sections()[ref.table];
    Elf64_Sym sym;
    // The entry within its table, its name (and the NUL after it) within
    // the string table; SymbolTable() put both tables within the file.
    if (ref.entry >= syms.sh_size / sizeof(Elf64_Sym) ||
        !file.Read(&sym, sizeof(sym), syms.sh_offset + ref.entry * sizeof(Elf64_Sym)) || !Wanted(sym, type) ||
        sym.st_name >= strs->sh_size || wanted.size() + 1 > strs->sh_size - sym.st_name) {
      return false;
    }
    name.resize(wanted.size() + 1);
    if (!file.Read(name.data(), name.size(), strs->sh_offset + sym.st_name) ||
        memcmp(name.data(), wanted.c_str(), wanted.size() + 1) != 0) {
      return false;
    }
    out->values[wanted] = sym.st_value;
    out->refs[wanted] = ref;
  }
  return true;
}

}  // namespace greenpatch
