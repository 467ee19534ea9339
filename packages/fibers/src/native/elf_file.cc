#include "elf_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "read_at.h"

namespace greenpatch {

ElfFile::~ElfFile() {
  if (fd_ >= 0) close(fd_);
}

bool ElfFile::Open(const std::string& path) {
  if (fd_ >= 0) close(fd_);
  sections_.clear();
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return false;
  struct stat st;
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  size_ = static_cast<uint64_t>(st.st_size);
  mtime_ns_ = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  Elf64_Ehdr& eh = header_;
  if (!Read(&eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0) {
    return false;
  }
  sections_.resize(eh.e_shnum);
  if (!Read(sections_.data(), sections_.size() * sizeof(Elf64_Shdr), eh.e_shoff)) {
    sections_.clear();
    return false;
  }
  return true;
}

bool ElfFile::Read(void* to, size_t n, uint64_t offset) const {
  return fd_ >= 0 && offset <= size_ && n <= size_ - offset && ReadAt(fd_, to, n, offset);
}

std::string ElfFile::SectionName(size_t i) const {
  const size_t names = header_.e_shstrndx;
  if (i >= sections_.size() || names >= sections_.size()) return "";
  const Elf64_Shdr& table = sections_[names];
  const uint64_t at = sections_[i].sh_name;
  if (table.sh_offset > size_ || table.sh_size > size_ - table.sh_offset || at >= table.sh_size) return "";
  char name[64] = {0};
  const uint64_t n = std::min<uint64_t>(sizeof(name) - 1, table.sh_size - at);
  if (!Read(name, n, table.sh_offset + at)) return "";
  return std::string(name, strnlen(name, n));
}

bool ElfFile::SymbolTable(size_t i, uint32_t type, const Elf64_Shdr** names) const {
  if (i >= sections_.size()) return false;
  const Elf64_Shdr& syms = sections_[i];
  if (syms.sh_type != type || syms.sh_entsize != sizeof(Elf64_Sym) || syms.sh_link >= sections_.size() ||
      syms.sh_link == i) {
    return false;
  }
  const Elf64_Shdr& strs = sections_[syms.sh_link];
  if (strs.sh_type != SHT_STRTAB || syms.sh_offset > size_ || syms.sh_size > size_ - syms.sh_offset ||
      strs.sh_offset > size_ || strs.sh_size > size_ - strs.sh_offset || strs.sh_size == 0 ||
      syms.sh_offset % alignof(Elf64_Sym) != 0) {
    return false;
  }
  *names = &strs;
  return true;
}

std::string ElfFile::BuildId() const {
  for (const Elf64_Shdr& s : sections_) {
    // A few small note sections; each note is a header, its name (padded
    // to 4 bytes), then its description (padded likewise).
    if (s.sh_type != SHT_NOTE || s.sh_size > 4096) continue;
    unsigned char notes[4096];
    if (!Read(notes, s.sh_size, s.sh_offset)) continue;
    for (uint64_t at = 0; at + sizeof(Elf64_Nhdr) <= s.sh_size;) {
      Elf64_Nhdr nh;
      memcpy(&nh, notes + at, sizeof(nh));
      const uint64_t name_at = at + sizeof(nh);
      const uint64_t desc_at = name_at + ((uint64_t{nh.n_namesz} + 3) & ~uint64_t{3});
      const uint64_t end = desc_at + ((uint64_t{nh.n_descsz} + 3) & ~uint64_t{3});
      if (end > s.sh_size || end <= at) break;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(notes + name_at, "GNU", 4) == 0 &&
          nh.n_descsz > 0) {
        static const char kHex[] = "0123456789abcdef";
        std::string hex;
        for (uint32_t k = 0; k < nh.n_descsz; k++) {
          hex += kHex[notes[desc_at + k] >> 4];
          hex += kHex[notes[desc_at + k] & 15];
        }
        return hex;
      }
      at = end;
    }
  }
  return "";
}

}  // namespace greenpatch
