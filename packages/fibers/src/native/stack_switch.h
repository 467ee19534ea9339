// The machine-level stack switch: a saved stack pointer is all a suspended
// context needs, everything else was pushed onto its own stack.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
void gp_switch(void** save_sp, void* load_sp);
void gp_trampoline();
}

namespace greenpatch {

using EntryFn = void (*)(void* arg);

// Lays out a first frame at the top of [low, high) so that gp_switch() into
// the returned stack pointer calls entry(arg) on that stack.
void* PrepareStack(void* high, EntryFn entry, void* arg);

}  // namespace greenpatch
