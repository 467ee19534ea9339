// The symbol index: where, in one exact ELF file's symbol tables (the `node`
// executable's, or a shared libnode's), the symbols the engine looks up at
// load are. scripts/build-native.mjs writes it when the addon is built or
// installed, beside the addon, one file per ELF file, named by that file's
// size, modification time and build id (so another `node` of the same ABI
// finds none). At load each symbol's entry is read alone and checked: its
// table, type and full name. A missing, foreign, stale or corrupt index
// only means the scan (elf_symbols.h) runs instead, as it would without one.
// See docs/engine-direct-switch.md, "What is checked at load".
#pragma once

#include <string>
#include <vector>

#include "elf_symbols.h"

namespace greenpatch {

// The symbols of ELF type `type` named in `names` in the file at `path`:
// through its index when that holds every name and each one checks,
// otherwise scanned (FindElfSymbols). Recorded, for SymbolIndexFiles() and
// SymbolLookups().
ElfSymbols LookUpElfSymbols(const std::string& path, unsigned char type, const std::vector<const char*>& names);

// One LookUpElfSymbols() of this process.
struct SymbolLookup {
  std::string path;
  unsigned char type = 0;
  std::vector<std::string> names;
  size_t found = 0;
  std::string how;   // "index", "fast pass" or "full scan"; "" when the file did not open
  std::string note;  // why the index was not used
};
std::vector<SymbolLookup> SymbolLookups();

// For the build: for each file this process looked symbols up in, the
// index to write (every recorded lookup done again by a full scan) and
// where: beside this addon, `<addon name without .node>.<key>.symbols`.
struct SymbolIndexFile {
  std::string path;
  std::string text;
};
std::vector<SymbolIndexFile> SymbolIndexFiles();

// A load check whose outcome is a property of one ELF file (V8's), not of
// the process: the index of the file at `path` records it as passed when
// the build's child ran it and it passed. IndexSaysPassed() is true only
// when that file's own index (same size, time and build id) says so, with
// the index well formed; *note says why not, for tests. RecordPassed()
// notes, for SymbolIndexFiles(), that `check` passed in this process.
bool IndexSaysPassed(const std::string& path, const std::string& check, std::string* note);
void RecordPassed(const std::string& path, const std::string& check);

}  // namespace greenpatch
