// deasync: inside a green thread its calls block only that thread. deasync
// turns async calls synchronous by running libuv's loop re-entrantly until a
// condition holds (`loopWhile`; `deasync(fn)` and `sleep` are built on it,
// through the module's exports, and `runLoopOnce` runs one iteration). On a
// green thread that would stall every other thread (the loop runs nested on
// this thread's stack, and no other thread is switched in until it returns);
// instead the thread yields to the hub between checks of the condition.
// Outside a green thread the original functions run, as before.
import { inGreenThread } from '../hub.js';
import { sleep } from '../greenthread.js';

/**
 * One turn of the event loop for the calling green thread: it is suspended
 * until the hub has run a loop iteration that polled for I/O for up to a
 * millisecond (deasync's `runLoopOnce` waits in that poll until something
 * happens; a green thread cannot be told of "something", so it looks again
 * after each such turn).
 */
function greenTurn(): void {
  sleep(1);
}

/** deasync's `loopWhile(pred)`, given the original. */
export function greenLoopWhile(original: (pred: () => boolean) => void): (pred: () => boolean) => void {
  return function loopWhile(this: unknown, pred: () => boolean): void {
    if (!inGreenThread()) return Reflect.apply(original, this, [pred]);
    if (!pred()) return;
    // A callback due on the next turn (an immediate, a resolved promise) is
    // caught without the millisecond's wait.
    sleep(0);
    while (pred()) greenTurn();
  };
}

/** deasync's `runLoopOnce()`, given the original. */
export function greenRunLoopOnce(original: () => void): () => void {
  return function runLoopOnce(this: unknown): void {
    if (!inGreenThread()) return Reflect.apply(original, this, []);
    greenTurn();
  };
}
