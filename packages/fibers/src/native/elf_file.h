// One 64-bit ELF file opened for reading its section headers, notes and
// symbol tables. Every read is checked against the file's size: a missing,
// truncated or malformed file fails to open or reads nothing, never crashes.
#pragma once

#include <elf.h>

#include <cstdint>
#include <string>
#include <vector>

namespace greenpatch {

class ElfFile {
 public:
  ElfFile() = default;
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;
  ~ElfFile();

  // False when `path` cannot be opened or is not a 64-bit ELF file whose
  // section headers lie within it.
  bool Open(const std::string& path);

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // Modification time, in nanoseconds since the epoch.
  int64_t mtime_ns() const { return mtime_ns_; }
  const Elf64_Ehdr& header() const { return header_; }
  const std::vector<Elf64_Shdr>& sections() const { return sections_; }

  // `n` bytes at `offset`, only when all of them lie within the file.
  bool Read(void* to, size_t n, uint64_t offset) const;

  // Section `i`'s name from the section name table, "" when unreadable.
  std::string SectionName(size_t i) const;

  // Whether section `i` is a symbol table of `type` (SHT_SYMTAB or
  // SHT_DYNSYM) of Elf64_Sym entries whose string table (*names) is
  // another section, both within the file.
  bool SymbolTable(size_t i, uint32_t type, const Elf64_Shdr** names) const;

  // The linker's build id (NT_GNU_BUILD_ID) in hex, "" when there is none.
  std::string BuildId() const;

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  int64_t mtime_ns_ = 0;
  Elf64_Ehdr header_{};
  std::vector<Elf64_Shdr> sections_;
};

}  // namespace greenpatch
