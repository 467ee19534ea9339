// The bridge the cooperative `*Sync` functions are built on: start Node's
// asynchronous form of an operation, then block only the calling green thread
// until its callback fires. Outside a green thread (and on the hub) every
// cooperative function calls Node's original instead, so its behaviour there
// is stock by construction.
//
// Argument validation is never reimplemented here: the asynchronous form runs
// Node's own validators before it starts anything, and when it throws
// synchronously the cooperative function calls the original `*Sync` function
// with the same arguments, so the caller gets exactly the error (or, for the
// rare input only the sync form accepts, exactly the result) stock Node gives.
import { executionAsyncId } from 'node:async_hooks';
import Fiber = require('@greenpatch/fibers');

import { block, currentTaskOrUndefined } from '../hub';

/** Returned by {@link cooperate} when the asynchronous form rejected the arguments synchronously. */
export const FALLBACK: unique symbol = Symbol('greenpatch.fallback');

/** A node-style completion callback. */
export type Done<T> = (error: unknown, value?: T) => void;

/**
 * Starts an operation with `start(done)` and blocks the current green thread
 * until `done` is called, then returns the value or throws the error. Returns
 * {@link FALLBACK} without blocking when `start` throws (the asynchronous form
 * rejected its arguments). `cancel` runs when the green thread is killed or a
 * `Timeout` fires while it waits; `onLate` receives a result that arrives
 * after such a cancellation (e.g. to close a file descriptor nobody will see).
 *
 * Must be called inside a green thread.
 */
export function cooperate<T>(
  what: string,
  start: (done: Done<T>) => void,
  cancel?: () => void,
  onLate?: (value: T) => void,
): T | typeof FALLBACK {
  let settled = false;
  let abandoned = false;
  let failure: unknown;
  let failed = false;
  let result: T | undefined;
  let wake: { resume(value: T): void; fail(error: unknown): void } | undefined;
  const done: Done<T> = (error, value) => {
    if (settled) return;
    settled = true;
    if (abandoned) {
      if (!error && onLate !== undefined) onLate(value as T);
      return;
    }
    if (error) {
      failed = true;
      failure = error;
      wake?.fail(error);
    } else {
      result = value;
      wake?.resume(value as T);
    }
  };
  try {
    start(done);
  } catch {
    if (settled) throw new Error('greenpatch: an operation both completed and threw');
    return FALLBACK;
  }
  if (settled) {
    if (failed) throw failure;
    return result as T;
  }
  const abandon = () => {
    abandoned = true;
    cancel?.();
  };
  let registered = false;
  try {
    return block<T>(what, (waker) => {
      registered = true;
      wake = waker;
      return abandon;
    });
  } catch (error) {
    // An interruption already pending for this thread is thrown before the
    // registration runs: the operation started above is abandoned here.
    if (!registered && !settled) abandon();
    throw error;
  }
}

/**
 * True when Node itself is the caller of the cooperative function, which
 * then must behave as the original:
 *
 * - Node's module loader (CommonJS or ESM, and require hooks it calls),
 *   anywhere in the last few frames. Loading a module must stay atomic: if
 *   `require()` let other green threads run while it reads the file, a
 *   second `require()` of the same module from another green thread would
 *   see its half-initialised exports.
 * - Any of Node's own modules as the direct caller (`node:...`): Node's
 *   internals that reach a patched function through the public object
 *   expect it to block, e.g. the ESM loader's `Atomics.wait` on its hooks
 *   thread, which must not let the event loop run meanwhile.
 *
 * Costs a short stack capture (about 10 µs), small beside the thread pool
 * round trip it guards.
 */
export function calledByNode(): boolean {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  let found = false;
  try {
    Error.stackTraceLimit = 12;
    Error.prepareStackTrace = (_error, sites) => {
      // sites[0] is the cooperative function itself; sites[1] its caller.
      const caller = sites[1]?.getFileName();
      if (typeof caller === 'string' && caller.startsWith('node:')) return true;
      for (const site of sites) {
        const file = site.getFileName();
        if (typeof file === 'string' && file.startsWith('node:internal/modules/')) return true;
      }
      return false;
    };
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, calledByNode);
    found = holder.stack === true;
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
  return found;
}

/**
 * Whether a cooperative function should block its green thread rather than
 * call the original: inside a green thread, and not inside an
 * `AsyncResource.runInAsyncScope()` entered within it, where the hub refuses
 * to suspend (ERR_GREENPATCH_BLOCKING_IN_ASYNC_SCOPE). A `*Sync` call there
 * blocks the process, as in stock Node, rather than throw.
 */
export function shouldCooperate(): boolean {
  const task = currentTaskOrUndefined() as { entryAsyncId?: unknown } | undefined;
  if (task === undefined) return false;
  // Where the engine carries async scopes with each fiber, blocking in one is fine.
  if (Fiber.carriesAsyncScopes) return true;
  // The hub records the async id its thread runs under; a different one
  // means an async scope was entered since (see the hub's blockTask()).
  return typeof task.entryAsyncId !== 'number' || task.entryAsyncId === executionAsyncId();
}

/**
 * Gives `wrapper` the `name` and `length` of `original` and copies its own
 * extra properties (e.g. `realpathSync.native`, promisify symbols), so that
 * code inspecting the function sees what stock Node shows.
 */
export function likeOriginal<F extends Function>(wrapper: F, original: Function): F {
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'name' || key === 'length' || key === 'prototype') continue;
    if (Object.prototype.hasOwnProperty.call(wrapper, key)) continue;
    Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  return wrapper;
}

/**
 * `args` without its trailing `undefined`s: a sync function treats an
 * argument passed as `undefined` like a missing one, but a callback form
 * that finds its callback by position may not (`randomFill(buf, undefined,
 * undefined, cb)` throws where `randomFill(buf, cb)` does not).
 */
export function withoutTrailingUndefined(args: readonly unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}
