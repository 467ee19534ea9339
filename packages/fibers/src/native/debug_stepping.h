// A debugger step ("step over", "step into") in progress when a flow of
// control switches out is dropped: V8 re-arms a thread's step when its
// archived state is restored (Debug::RestoreDebug → PrepareStep), walking
// frames of a stack that is not the one it stepped on, and crashes. V8
// cannot step from one fiber into another, so clearing the step before the
// switch turns it into a plain continue: execution goes on until the next
// breakpoint (or pause).
#ifndef GREENPATCH_DEBUG_STEPPING_H_
#define GREENPATCH_DEBUG_STEPPING_H_

#include <v8.h>

namespace greenpatch {

// Call while the isolate is locked, before leaving it for another flow.
// Does nothing where V8's v8::debug::ClearStepping cannot be found safely.
void ClearSteppingBeforeSwitch(v8::Isolate* isolate);

// True when ClearSteppingBeforeSwitch() has a ClearStepping to call.
bool CanClearStepping();

}  // namespace greenpatch

#endif  // GREENPATCH_DEBUG_STEPPING_H_
