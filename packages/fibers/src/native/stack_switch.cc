#include "stack_switch.h"

namespace greenpatch {

void* PrepareStack(void* high, EntryFn entry, void* arg) {
  uintptr_t top = reinterpret_cast<uintptr_t>(high) & ~uintptr_t{15};
#if defined(__x86_64__)
  // Layout popped by gp_switch: [mxcsr|fpucw][r15][r14][r13][r12][rbx][rbp][ret].
  // After the final `ret` rsp must be 16-aligned so that the trampoline's
  // call leaves the entry with the ABI's (rsp + 8) % 16 == 0.
  uint64_t* sp = reinterpret_cast<uint64_t*>(top - 16 - 8 * 8);
  uint32_t mxcsr;
  uint16_t fpucw;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(fpucw));
  sp[0] = static_cast<uint64_t>(mxcsr) | (static_cast<uint64_t>(fpucw) << 32);
  sp[1] = 0;                                      // r15
  sp[2] = 0;                                      // r14
  sp[3] = reinterpret_cast<uint64_t>(entry);      // r13
  sp[4] = reinterpret_cast<uint64_t>(arg);        // r12
  sp[5] = 0;                                      // rbx
  sp[6] = 0;                                      // rbp: ends frame-pointer walks
  sp[7] = reinterpret_cast<uint64_t>(&gp_trampoline);
  return sp;
#elif defined(__aarch64__)
  uint64_t* sp = reinterpret_cast<uint64_t*>(top - 176);
  for (int i = 0; i < 22; i++) sp[i] = 0;
  sp[0] = reinterpret_cast<uint64_t>(arg);        // x19
  sp[1] = reinterpret_cast<uint64_t>(entry);      // x20
  sp[10] = 0;                                     // x29: ends frame-pointer walks
  sp[11] = reinterpret_cast<uint64_t>(&gp_trampoline);  // x30
  return sp;
#else
#error "greenpatch: no stack switch for this architecture"
#endif
}

}  // namespace greenpatch
