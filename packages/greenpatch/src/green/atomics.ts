// The green `Atomics.wait`: inside a green thread, waiting on a shared
// Int32Array or BigInt64Array cell blocks only that green thread, with the
// semantics of the original (the value check, `Atomics.notify` from this or
// another thread, the timeout, the 'ok' / 'not-equal' / 'timed-out'
// results). It is built on `Atomics.waitAsync`, which V8 specifies as the
// same wait with a promise for its outcome. The `Atomics.wait(ia, 0, 0, ms)`
// sleep idiom therefore sleeps only the calling green thread. Outside a green
// thread, on the hub, and when Node itself calls it, it is the original.
import { cooperate, cooperativeSync, FALLBACK } from './internal/cooperative.js';
import { MAX_TIMER } from './internal/runtime.js';

const originalWait = Atomics.wait;

type WaitAsync = (
  typedArray: Int32Array | BigInt64Array,
  index: number,
  value: number | bigint,
  timeout?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/**
 * `Atomics.wait(typedArray, index, value, timeout)`, cooperative: inside a
 * green thread, returns `'not-equal'` at once when the cell does not hold
 * `value`; otherwise blocks only the green thread until `Atomics.notify`
 * wakes it (`'ok'`) or `timeout` milliseconds pass (`'timed-out'`). Invalid
 * arguments throw the original's errors. A timeout of 0 is answered
 * synchronously by V8 (nothing to wait for).
 *
 * While it waits, the process is kept alive, as the original's blocking
 * would: a wait that nothing ever notifies, with no timeout, never ends.
 * If the green thread is killed while waiting, its waiter stays registered
 * in V8 (there is no way to withdraw one) until a notify or the timeout
 * consumes it; that notify then counts it among those it woke.
 */
export const wait = cooperativeSync(
  originalWait,
  (args) => {
    // Without waitAsync (never on supported Nodes) only the original can wait.
    if (waitAsync === undefined) return FALLBACK;
    let keepAlive: NodeJS.Timeout | undefined;
    const release = () => {
      if (keepAlive !== undefined) clearInterval(keepAlive);
      keepAlive = undefined;
    };
    // When waitAsync refuses the arguments, cooperate() returns FALLBACK and
    // the original throws its own error for them.
    return cooperate<'ok' | 'not-equal' | 'timed-out'>(
      'Atomics.wait()',
      (done) => {
        const outcome = Reflect.apply(waitAsync, Atomics, args) as ReturnType<WaitAsync>;
        if (!outcome.async) {
          done(null, outcome.value);
          return;
        }
        // V8's waiter does not keep Node's event loop alive; this timer
        // (re-armed at the longest period a timer takes) does.
        keepAlive = setInterval(() => {}, MAX_TIMER);
        outcome.value.then(
          (v) => {
            release();
            done(null, v);
          },
          (e) => {
            release();
            done(e ?? new Error('Atomics.waitAsync failed'));
          },
        );
      },
      release,
    );
  },
  // Node's own callers (the ESM loader waiting for its hooks thread) need the
  // real, process-blocking wait: their protocol assumes nothing else runs.
  { originalForNode: true },
);
