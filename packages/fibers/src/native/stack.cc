#include "stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace greenpatch {

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

char* Stack::low() const { return base + PageSize(); }

StackPool::~StackPool() {
  for (const Stack& s : free_) munmap(s.base, s.size);
}

bool StackPool::Acquire(size_t usable_size, Stack* out) {
  const size_t page = PageSize();
  const size_t size = ((usable_size + page - 1) / page) * page + page;
  for (size_t i = free_.size(); i-- > 0;) {
    if (free_[i].size == size) {
      *out = free_[i];
      free_[i] = free_.back();
      free_.pop_back();
      return true;
    }
  }
  // MAP_NORESERVE: only the pages a fiber touches cost memory.
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) return false;
  if (mprotect(p, page, PROT_NONE) != 0) {
    int saved = errno;
    munmap(p, size);
    errno = saved;
    return false;
  }
  out->base = static_cast<char*>(p);
  out->size = size;
  return true;
}

void StackPool::Release(const Stack& stack) {
  if (free_.size() < limit_) {
    free_.push_back(stack);
  } else {
    munmap(stack.base, stack.size);
  }
}

void StackPool::set_limit(size_t limit) {
  limit_ = limit;
  while (free_.size() > limit_) {
    munmap(free_.back().base, free_.back().size);
    free_.pop_back();
  }
}

}  // namespace greenpatch
