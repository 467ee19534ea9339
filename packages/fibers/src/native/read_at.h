// Reading a file at an offset, whole or not at all.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace greenpatch {

// Reads `n` bytes of `fd` at `offset` into `to`, however many pread() calls
// that takes; false when the file ends first or a read fails.
inline bool ReadAt(int fd, void* to, size_t n, uint64_t offset) {
  char* p = static_cast<char*>(to);
  while (n > 0) {
    const ssize_t r = pread(fd, p, n, static_cast<off_t>(offset));
    if (r <= 0) return false;
    p += r, n -= static_cast<size_t>(r), offset += static_cast<uint64_t>(r);
  }
  return true;
}

}  // namespace greenpatch
