// Looking up symbols in an ELF file's own symbol tables (.symtab, then
// .dynsym): V8's internal functions and thread-local variables that Node
// does not export. Node 24's and 26's .symtab has some 168,000 symbols and
// 19 MB of names, read at every start: how it is kept cheap is in
// docs/engine-direct-switch.md, "What is checked at load".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace greenpatch {

struct ElfSymbols {
  // st_value of each symbol found, by name (the first of that name and type
  // in table order). For a function that is its offset from the file's load
  // base when position_independent, else its address.
  std::map<std::string, uint64_t> values;
  bool position_independent = false;  // ET_DYN
  bool full_scan = false;             // the fast pass missed a name
};

// The symbols of ELF type `type` (STT_FUNC, STT_TLS) named in `names`, from
// the file at `path`. Every read stays within the file: a missing, truncated
// or malformed file gives fewer (or no) values, never a crash.
// `force_full_scan` skips the fast pass (for the test comparing the two).
ElfSymbols FindElfSymbols(const std::string& path, unsigned char type, const std::vector<const char*>& names,
                          bool force_full_scan = false);

}  // namespace greenpatch
