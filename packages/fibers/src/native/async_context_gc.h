// V8 13 and 14 (Node 24, 26) keep AsyncLocalStorage's context (the
// continuation-preserved embedder data) in one isolate-wide slot, but their
// collector visits that slot once for the running thread and once more for
// every archived thread (Isolate::Iterate(RootVisitor*, ThreadLocalTop*)).
// Every suspended fiber is an archived thread, on both switch paths and on
// the threads backend. A young-generation collection that visits a slot
// twice moves its object twice: the first copy is left with a forwarding
// word for a map and the heap is corrupt (seen as a crash in the next
// collection or a TypeError on a garbage object, after a few thousand
// AsyncLocalStorage#run() calls in fibers). Stock Node never archives a
// thread, so it never meets this.
//
// The engine empties the slot for the duration of each collection that
// moves objects (not the weak-callback phase, where embedder code runs): before
// it, the value moves to a global handle (visited exactly once) and the slot
// holds undefined; after it, the value goes back.
#ifndef GREENPATCH_ASYNC_CONTEXT_GC_H_
#define GREENPATCH_ASYNC_CONTEXT_GC_H_

#include <v8.h>

namespace greenpatch {

// Once per isolate, on the thread that owns it, before its first fiber.
void GuardAsyncContextDuringCollections(v8::Isolate* isolate);

}  // namespace greenpatch

#endif  // GREENPATCH_ASYNC_CONTEXT_GC_H_
