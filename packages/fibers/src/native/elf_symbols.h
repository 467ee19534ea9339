// Looking up symbols in an ELF file's own symbol tables (.symtab, then
// .dynsym): V8's internal functions and thread-local variables that Node
// does not export. Node 24's and 26's .symtab has some 168,000 symbols and
// 19 MB of names: a scan costs milliseconds, so at load the symbols are
// read where the symbol index (symbol_index.h) says they are, and scanned
// for only when that fails. See docs/engine-direct-switch.md, "What is
// checked at load".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "elf_file.h"

namespace greenpatch {

// Where a symbol is: its symbol table's section index, and its entry's
// index in that table.
struct ElfSymbolRef {
  uint32_t table = 0;
  uint64_t entry = 0;
  bool operator==(const ElfSymbolRef& o) const { return table == o.table && entry == o.entry; }
};

struct ElfSymbols {
  // st_value of each symbol found, by name (the first of that name and type
  // in table order). For a function that is its offset from the file's load
  // base when position_independent, else its address.
  std::map<std::string, uint64_t> values;
  // Where each was found.
  std::map<std::string, ElfSymbolRef> refs;
  bool position_independent = false;  // ET_DYN
  bool full_scan = false;             // the fast pass missed a name
};

// The symbols of ELF type `type` (STT_FUNC, STT_TLS) named in `names`, from
// `file`'s symbol tables, scanned. Every read stays within the file: a
// truncated or malformed file gives fewer (or no) values, never a crash.
// `force_full_scan` skips the fast pass (for the test comparing the two).
ElfSymbols FindElfSymbols(const ElfFile& file, unsigned char type, const std::vector<const char*>& names,
                          bool force_full_scan = false);
// The same, opening the file at `path`.
ElfSymbols FindElfSymbols(const std::string& path, unsigned char type, const std::vector<const char*>& names,
                          bool force_full_scan = false);

// The symbols `refs` says are where, each read alone and checked: a symbol
// table's entry within it, of `type`, named exactly as wanted. True only
// when every one checks; *out then holds their values.
bool ReadElfSymbols(const ElfFile& file, unsigned char type, const std::map<std::string, ElfSymbolRef>& refs,
                    ElfSymbols* out);

}  // namespace greenpatch
