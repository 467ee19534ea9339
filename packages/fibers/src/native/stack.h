// Fiber stacks: mmap'd, with a PROT_NONE guard page below, reused from a
// per-thread pool so that creating a fiber rarely costs a system call.
#pragma once

#include <cstddef>
#include <vector>

namespace greenpatch {

struct Stack {
  char* base = nullptr;   // start of the mapping (the guard page)
  size_t size = 0;        // whole mapping, guard page included
  char* low() const;      // first usable byte
  char* high() const { return base + size; }
};

class StackPool {
 public:
  ~StackPool();
  // Returns false (errno set) when the kernel refuses the mapping.
  bool Acquire(size_t usable_size, Stack* out);
  void Release(const Stack& stack);
  void set_limit(size_t limit);
  size_t limit() const { return limit_; }
  size_t pooled() const { return free_.size(); }

 private:
  size_t limit_ = 120;
  std::vector<Stack> free_;
};

size_t PageSize();

}  // namespace greenpatch
