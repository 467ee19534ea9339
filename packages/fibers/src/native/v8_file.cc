#include "v8_file.h"

#include <dlfcn.h>
#include <v8.h>

namespace greenpatch {

bool V8File(std::string* path, uintptr_t* base) {
  // v8::Locker::IsLocked is exported by every Node build, from V8's file.
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&v8::Locker::IsLocked), &info) == 0 || info.dli_fname == nullptr) return false;
  *path = info.dli_fname;
  // The executable's own name may be empty or as typed (no directory).
  if (path->empty() || path->find('/') == std::string::npos) *path = "/proc/self/exe";
  *base = reinterpret_cast<uintptr_t>(info.dli_fbase);
  return true;
}

}  // namespace greenpatch
