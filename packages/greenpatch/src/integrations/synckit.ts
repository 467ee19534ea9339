// synckit: a sync function made by `createSyncFn` talks to its worker over
// one channel and one notification counter, and tells replies apart by the
// order of its calls. Inside green threads `Atomics.wait` blocks only the
// caller, so two threads could be inside one such function at once and read
// each other's replies. Each function therefore lets one green thread in at
// a time (the others wait their turn, blocking only themselves); outside
// green threads it is called as it is.
import { inGreenThread } from '../hub.js';
import { Semaphore } from '../lock.js';

function oneAtATime(syncFn: Function): Function {
  const turn = new Semaphore(1);
  return function syncFnInTurn(this: unknown): unknown {
    if (!inGreenThread()) return Reflect.apply(syncFn, this, arguments);
    turn.acquire();
    try {
      return Reflect.apply(syncFn, this, arguments);
    } finally {
      turn.release();
    }
  };
}

/** synckit's `createSyncFn`, given the one it replaces. */
export function greenCreateSyncFn(original: Function): Function {
  // createSyncFn hands out one function per worker file: so does this, with one turn for all its callers.
  const made = new WeakMap<Function, Function>();
  return function createSyncFn(this: unknown): unknown {
    const syncFn = Reflect.apply(original, this, arguments) as Function;
    let inTurn = made.get(syncFn);
    if (inTurn === undefined) {
      inTurn = oneAtATime(syncFn);
      made.set(syncFn, inTurn);
    }
    return inTurn;
  };
}
