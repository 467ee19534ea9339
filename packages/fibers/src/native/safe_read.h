// Reading and writing memory the engine has not proven to be mapped (fields
// of V8's objects found by probing, V8's flags): a wrong guess is an error,
// never a crash.
#ifndef GREENPATCH_SAFE_READ_H_
#define GREENPATCH_SAFE_READ_H_

#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>

namespace greenpatch {

// Reads `size` bytes at `addr` of this process without faulting: false when
// any of it is not mapped.
inline bool SafeRead(const void* addr, void* out, size_t size) {
  struct iovec local = {out, size};
  struct iovec remote = {const_cast<void*>(addr), size};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

// Writes `size` bytes at `addr` of this process without faulting: false when
// any of it is not mapped or not writable.
inline bool SafeWrite(void* addr, const void* in, size_t size) {
  struct iovec local = {const_cast<void*>(in), size};
  struct iovec remote = {addr, size};
  return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

}  // namespace greenpatch

#endif  // GREENPATCH_SAFE_READ_H_
