// The ELF file that holds V8's code: the `node` executable, or a shared
// libnode. Its symbol tables name V8's internal functions and variables.
#pragma once

#include <cstdint>
#include <string>

namespace greenpatch {

// The file's path ("/proc/self/exe" for the executable) and its load base.
// False when the dynamic linker does not know it.
bool V8File(std::string* path, uintptr_t* base);

}  // namespace greenpatch
