#include "symbol_index.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <mutex>
#include <utility>

#include "read_at.h"

namespace greenpatch {
namespace {

// The file format, text, one record a line:
//   greenpatch symbol index 1
//   file <size> <mtime in ns> <build id in hex, or ->
//   symbol <ELF symbol type> <table's section index> <entry index> <name>
//   absent <ELF symbol type> <name>
//   passed <load check>
//   ...
//   end <number of symbol, absent and passed lines>
// A symbol line is checked against the file at every use. An absent one (a
// name the build's full scan did not find, such as the spelling of a V8
// variable that another major uses) cannot be: it is believed only for a
// file with a build id, which the linker computes from the file's contents.
// A passed line names a load check that ran and passed in the build's child
// on this very file (IndexSaysPassed).
constexpr const char* kMagic = "greenpatch symbol index 1";
constexpr size_t kMaxIndexSize = 1 << 20;
constexpr size_t kMaxName = 1024;

std::mutex g_mutex;
std::vector<SymbolLookup> g_lookups;
std::vector<std::pair<std::string, std::string>> g_passed;  // (file, check)

// What the index's "file" line must say of `file`.
std::string Identity(const ElfFile& file) {
  const std::string id = file.BuildId();
  return std::to_string(file.size()) + " " + std::to_string(file.mtime_ns()) + " " + (id.empty() ? "-" : id);
}

// The index's name for a file of that identity: 64-bit FNV-1a, in hex.
std::string Key(const std::string& identity) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : identity) h = (h ^ c) * 1099511628211ull;
  static const char kHex[] = "0123456789abcdef";
  std::string key(16, '0');
  for (int i = 15; i >= 0; i--, h >>= 4) key[i] = kHex[h & 15];
  return key;
}

// This addon's own file, from the dynamic linker.
std::string AddonPath() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&SymbolLookups), &info) == 0 || info.dli_fname == nullptr) return "";
  return info.dli_fname;
}

std::string IndexPath(const std::string& identity) {
  std::string addon = AddonPath();
  const std::string suffix = ".node";
  if (addon.size() > suffix.size() && addon.compare(addon.size() - suffix.size(), suffix.size(), suffix) == 0) {
    addon.resize(addon.size() - suffix.size());
  }
  return addon.empty() ? "" : addon + "." + Key(identity) + ".symbols";
}

bool ReadWhole(const std::string& path, std::string* text) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) <= kMaxIndexSize;
  if (ok) {
    text->resize(static_cast<size_t>(st.st_size));
    ok = ReadAt(fd, text->data(), text->size(), 0);
  }
  close(fd);
  return ok;
}

// A decimal number that fits in 64 bits, all of `s`.
bool ParseNumber(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > kMaxName) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '$' || c == '@';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> words;
  size_t at = 0;
  while (at <= line.size()) {
    const size_t space = line.find(' ', at);
    const size_t end = space == std::string::npos ? line.size() : space;
    words.push_back(line.substr(at, end - at));
    at = end + 1;
  }
  return words;
}

struct Entry {
  bool absent = false;
  ElfSymbolRef ref;
};
using Entries = std::map<std::pair<unsigned char, std::string>, Entry>;
using Checks = std::set<std::string>;

// The index at `path` for a file of `identity`; false, with a note, when it
// is missing, malformed or for another file.
bool ParseIndex(const std::string& path, const std::string& identity, Entries* entries, Checks* passed,
                std::string* note) {
  std::string text;
  if (!ReadWhole(path, &text)) return *note = "no symbol index for this file", false;
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    const size_t nl = text.find('\n', at);
    if (nl == std::string::npos) return *note = "the symbol index is truncated", false;
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  if (lines.size() < 3 || lines[0] != kMagic) return *note = "the symbol index is malformed", false;
  if (lines[1] != "file " + identity) return *note = "the symbol index is for another file", false;
  for (size_t i = 2; i + 1 < lines.size(); i++) {
    const std::vector<std::string> w = Split(lines[i]);
    uint64_t type, table, entry;
    if (w.size() == 3 && w[0] == "absent" && ParseNumber(w[1], &type) && type <= 15 && ValidName(w[2])) {
      (*entries)[{static_cast<unsigned char>(type), w[2]}] = {true, {}};
      continue;
    }
    if (w.size() == 2 && w[0] == "passed" && ValidName(w[1])) {
      passed->insert(w[1]);
      continue;
    }
    if (w.size() != 5 || w[0] != "symbol" || !ParseNumber(w[1], &type) || type > 15 || !ParseNumber(w[2], &table) ||
        table > UINT32_MAX || !ParseNumber(w[3], &entry) || !ValidName(w[4])) {
      return *note = "the symbol index is malformed", false;
    }
    (*entries)[{static_cast<unsigned char>(type), w[4]}] = {false, {static_cast<uint32_t>(table), entry}};
  }
  const std::vector<std::string> end = Split(lines.back());
  uint64_t count;
  if (end.size() != 2 || end[0] != "end" || !ParseNumber(end[1], &count) || count != lines.size() - 3 ||
      entries->size() + passed->size() != count) {
    return *note = "the symbol index is malformed", false;
  }
  return true;
}

// The symbols through the index, every one checked against `file`.
bool FromIndex(const ElfFile& file, unsigned char type, const std::vector<const char*>& names, ElfSymbols* out,
               std::string* note) {
  const std::string identity = Identity(file);
  // For tests only: an index of their own making.
  const char* test_path = getenv("GREENPATCH_TEST_SYMBOL_INDEX");
  const std::string path = test_path != nullptr && *test_path != '\0' ? test_path : IndexPath(identity);
  Entries entries;
  Checks passed;
  if (path.empty() || !ParseIndex(path, identity, &entries, &passed, note)) return false;
  std::map<std::string, ElfSymbolRef> refs;
  for (const char* n : names) {
    auto it = entries.find({type, n});
    if (it == entries.end()) return *note = std::string("the symbol index lacks ") + n, false;
    if (!it->second.absent) {
      refs[n] = it->second.ref;
    } else if (file.BuildId().empty()) {
      return *note = std::string("the symbol index says ") + n + " is absent, and the file has no build id", false;
    }
  }
  if (!ReadElfSymbols(file, type, refs, out)) return *note = "the symbol index does not match the file", false;
  return true;
}

}  // namespace

ElfSymbols LookUpElfSymbols(const std::string& path, unsigned char type, const std::vector<const char*>& names) {
  SymbolLookup lookup;
  lookup.path = path;
  lookup.type = type;
  lookup.names.assign(names.begin(), names.end());
  ElfFile file;
  ElfSymbols out;
  if (file.Open(path)) {
    if (FromIndex(file, type, names, &out, &lookup.note)) {
      lookup.how = "index";
    } else {
      out = FindElfSymbols(file, type, names);
      lookup.how = out.full_scan ? "full scan" : "fast pass";
    }
  } else {
    lookup.note = "the file did not open as ELF";
  }
  lookup.found = out.values.size();
  std::lock_guard<std::mutex> lock(g_mutex);
  g_lookups.push_back(std::move(lookup));
  return out;
}

std::vector<SymbolLookup> SymbolLookups() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_lookups;
}

std::vector<SymbolIndexFile> SymbolIndexFiles() {
  // By the file's identity: the executable may have been looked up as
  // /proc/self/exe and by its own path.
  std::map<std::string, std::pair<Entries, Checks>> by_file;
  for (const SymbolLookup& lookup : SymbolLookups()) {
    ElfFile file;
    if (!file.Open(lookup.path)) continue;
    std::vector<const char*> names;
    for (const std::string& n : lookup.names) {
      if (ValidName(n)) names.push_back(n.c_str());
    }
    const ElfSymbols found = FindElfSymbols(file, lookup.type, names, true);
    Entries& entries = by_file[Identity(file)].first;
    for (const char* n : names) {
      auto it = found.refs.find(n);
      entries[{lookup.type, n}] = it == found.refs.end() ? Entry{true, {}} : Entry{false, it->second};
    }
  }
  std::vector<std::pair<std::string, std::string>> passed;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    passed = g_passed;
  }
  for (const auto& [path, check] : passed) {
    ElfFile file;
    if (!file.Open(path) || !ValidName(check)) continue;
    auto it = by_file.find(Identity(file));
    if (it != by_file.end()) it->second.second.insert(check);
  }
  std::vector<SymbolIndexFile> files;
  for (const auto& [identity, recorded] : by_file) {
    const auto& [entries, checks] = recorded;
    SymbolIndexFile out{IndexPath(identity), std::string(kMagic) + "\nfile " + identity + "\n"};
    bool any = false;
    for (const auto& [key, entry] : entries) any |= !entry.absent;
    if (!any || out.path.empty()) continue;
    for (const auto& [key, entry] : entries) {
      const std::string type = std::to_string(key.first);
      out.text += entry.absent ? "absent " + type + " " + key.second + "\n"
                               : "symbol " + type + " " + std::to_string(entry.ref.table) + " " +
                                     std::to_string(entry.ref.entry) + " " + key.second + "\n";
    }
    for (const std::string& check : checks) out.text += "passed " + check + "\n";
    out.text += "end " + std::to_string(entries.size() + checks.size()) + "\n";
    files.push_back(std::move(out));
  }
  return files;
}

bool IndexSaysPassed(const std::string& path, const std::string& check, std::string* note) {
  ElfFile file;
  if (!file.Open(path)) return *note = "the file did not open as ELF", false;
  const std::string identity = Identity(file);
  const char* test_path = getenv("GREENPATCH_TEST_SYMBOL_INDEX");
  const std::string index = test_path != nullptr && *test_path != '\0' ? test_path : IndexPath(identity);
  Entries entries;
  Checks passed;
  if (index.empty() || !ParseIndex(index, identity, &entries, &passed, note)) return false;
  if (passed.count(check) == 0) return *note = "the symbol index does not record " + check + " as passed", false;
  return true;
}

void RecordPassed(const std::string& path, const std::string& check) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_passed.emplace_back(path, check);
}

}  // namespace greenpatch
