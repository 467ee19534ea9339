// Debugger state across a switch. Each fiber is a V8 "thread" of its own, and
// V8 keeps the debugger's step per thread: it archives a step in progress
// with the thread that leaves the isolate and re-arms it (RestoreDebug ->
// PrepareStep) when that thread takes the isolate back. So a "step over" of a
// call that switches away stops at the next line of the same fiber once it
// runs again, and the other fibers run on to their breakpoints meanwhile.
//
// V8 11 (Node 20) re-applies breakpoints in RestoreDebug without entering
// the isolate first, and reads Isolate::Current(), which is null on a flow
// of control that left the isolate completely before unlocking it (as every
// switch does): SIGSEGV at the first switch once any breakpoint is set.
// Later V8 enters the isolate there itself. Before the relock, the switch
// sets only V8's current-isolate pointer of the thread (no entry is pushed,
// so the Enter() that follows records no previous isolate, and the last
// Exit() clears it again).
#ifndef GREENPATCH_DEBUGGER_RELOCK_H_
#define GREENPATCH_DEBUGGER_RELOCK_H_

#include <v8.h>

#include "v8_slots.h"

namespace greenpatch {

#if V8_MAJOR_VERSION < 12
constexpr bool kRelockNeedsCurrentIsolate = true;
#else
constexpr bool kRelockNeedsCurrentIsolate = false;
#endif

// Native backend: `slots` were just loaded for the flow about to relock.
inline void MarkIsolateForRelock(const V8Slots& slots, v8::Isolate* isolate) {
  if (kRelockNeedsCurrentIsolate) slots.SetCurrentIsolate(isolate);
}

// Threads backend: each OS thread finds its own slots once, while it has the
// isolate entered; MarkThisThreadForRelock() then marks it before a relock.
// Where the slots cannot be found (a stripped Node 20) nothing is marked and
// a breakpoint can still crash V8 11 at a switch (docs/engine.md).
void FindThisThreadsSlots(v8::Isolate* isolate);
void MarkThisThreadForRelock(v8::Isolate* isolate);

}  // namespace greenpatch

#endif  // GREENPATCH_DEBUGGER_RELOCK_H_
