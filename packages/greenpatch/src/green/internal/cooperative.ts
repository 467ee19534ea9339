// The cooperative machinery the `*Sync` functions are built on: one factory
// for the wrapper (Node's own where the caller may not block, the
// cooperative body otherwise, Node's own again when the body declines), and
// the bridge most bodies use: start Node's asynchronous form of an
// operation, then block only the calling green thread until its callback
// fires. Outside a green thread (and on the hub) every
// cooperative function calls Node's original instead, so its behaviour there
// is stock by construction.
//
// Argument validation is never reimplemented here: the asynchronous form runs
// Node's own validators before it starts anything (a body whose asynchronous
// form validates later must check first, or not cooperate for such input),
// and when it throws synchronously the cooperative function calls the
// original `*Sync` function with the same arguments, so the caller gets
// exactly the error (or, for the rare input only the sync form accepts,
// exactly the result) stock Node gives, synchronously. Options objects are
// read as the original reads them across both attempts (see
// `RecordedOptions`), so getters on them run as often as with stock Node.
import { block, mayBlock } from './runtime.js';
import { likeOriginal } from './like-original.js';

export { likeOriginal } from './like-original.js';

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
 * then must behave as the original: the nearest caller frame with a source
 * (native frames such as `Reflect.apply` are skipped) is one of Node's own
 * modules (`node:...`). That covers Node's module loader reading a module's
 * source (loading must stay atomic: if `require()` let other green threads
 * run meanwhile, a second `require()` of the same module from another green
 * thread would see its half-initialised exports) and Node's internals that
 * reach a patched function through the public object and expect it to
 * block (the ESM loader's `Atomics.wait` on its hooks thread, which must not
 * let the event loop run meanwhile).
 *
 * User code is never Node's, wherever it runs: a module's top-level code (the
 * entry's included) and a require hook are called by the loader, but their
 * own calls have them, not the loader, as the caller.
 *
 * Costs a stack capture of a few frames (a few microseconds).
 */
export function calledByNode(): boolean {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  let found = false;
  try {
    Error.stackTraceLimit = CALLER_FRAMES;
    Error.prepareStackTrace = (_error, sites) => {
      // sites[0] is the cooperative function itself; then its callers.
      for (let i = 1; i < sites.length; i++) {
        const file = sites[i].getFileName();
        if (typeof file === 'string' && file !== '') return file.startsWith('node:');
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

/** Frames {@link calledByNode} looks at: the function, its caller, and a few native frames in between. */
const CALLER_FRAMES = 6;

/**
 * An options object (a plain object: its prototype is `Object.prototype` or
 * null) seen through a proxy that records what each read of a property got.
 * A cooperative call hands the proxy to its asynchronous form; should that
 * refuse the arguments, `replay()` makes the proxy answer the original's
 * reads from the record (the first read of `N` gets what the first read got,
 * and so on), so that the original validates exactly the values the
 * asynchronous form saw, and a getter runs as many times as stock Node runs
 * it, not twice as many.
 */
class RecordedOptions {
  private readonly reads = new Map<PropertyKey, unknown[]>();
  private readonly replayed = new Map<PropertyKey, number>();
  private replaying = false;
  readonly proxy: object;

  constructor(target: object) {
    this.proxy = new Proxy(target, {
      get: (object, key) => {
        let seen = this.reads.get(key);
        if (this.replaying && seen !== undefined) {
          const index = this.replayed.get(key) ?? 0;
          if (index < seen.length) {
            this.replayed.set(key, index + 1);
            return seen[index];
          }
        }
        const value = Reflect.get(object, key, object);
        if (!this.replaying) {
          if (seen === undefined) this.reads.set(key, (seen = []));
          seen.push(value);
        }
        return value;
      },
    });
  }

  replay(): void {
    this.replaying = true;
  }
}

function isOptionsObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

type AnyFunction = (...args: any[]) => any;

/** Options of {@link cooperativeSync}. */
export interface CooperativeOptions {
  /** Given the arguments, whether the call stays Node's own (e.g. an input too small to be worth a thread-pool round trip). */
  inline?: (args: unknown[]) => boolean;
  /**
   * Node's own too when Node itself is the caller (see {@link calledByNode}):
   * for what its module loader and internals call. Default true: a few
   * microseconds, small beside any call worth making cooperative.
   */
  originalForNode?: boolean;
}

/**
 * The cooperative version of the blocking function `original`: where the
 * caller may not block (outside a green thread, on the hub, inside an async
 * scope entered in the thread: see `mayBlock`), or `options` say so, it is
 * `original` itself; otherwise `body(args)` runs in the green thread, and
 * when it returns {@link FALLBACK} (the asynchronous form refused the
 * arguments, or they are beyond what the body reproduces) `original` runs
 * after all, so that the caller gets exactly stock's result or error. The
 * wrapper looks like `original` (see {@link likeOriginal}).
 */
export function cooperativeSync<F extends AnyFunction>(
  original: F,
  body: (this: unknown, args: unknown[]) => unknown,
  options: CooperativeOptions = {},
): F {
  const { inline, originalForNode = true } = options;
  return likeOriginal(function (this: unknown, ...args: unknown[]) {
    if (!mayBlock() || inline?.(args) === true || (originalForNode && calledByNode())) return Reflect.apply(original, this, args);
    let recorded: RecordedOptions[] | undefined;
    const seen = args.map((arg) => {
      if (!isOptionsObject(arg)) return arg;
      const options = new RecordedOptions(arg);
      (recorded ??= []).push(options);
      return options.proxy;
    });
    const result = Reflect.apply(body, this, [seen]);
    if (result !== FALLBACK) return result;
    if (recorded !== undefined) for (const options of recorded) options.replay();
    return Reflect.apply(original, this, seen);
  }, original) as unknown as F;
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
