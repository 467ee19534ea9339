// greenify(fn): the way into green threads for code that a framework calls
// from outside one (a middleware called back from a stream, a hook run from
// a promise reaction). Frameworks in the patch table are wrapped with the
// same machinery; greenify is for the others.
import { codedError } from './errors.js';
import { inGreenThread } from './hub.js';
import { runGreen } from './green/internal/runtime.js';

/**
 * @internal One call of a function in a green thread of its own, started at
 * once: `finished` tells whether it was over (returned or threw) before it
 * first blocked; otherwise {@link GreenCall.whenSettled} hears how it ends.
 */
export class GreenCall<R = unknown> {
  finished = false;
  failed = false;
  value: R | undefined = undefined;
  error: unknown = undefined;
  private listener: ((call: GreenCall<R>) => void) | undefined = undefined;

  constructor(
    readonly fn: Function,
    readonly thisArg: unknown,
    readonly args: ArrayLike<unknown>,
  ) {}

  /** Calls `listener(this)` once the call has ended (at once if it has). */
  whenSettled(listener: (call: GreenCall<R>) => void): void {
    if (this.finished) listener(this);
    else this.listener = listener;
  }

  /** A promise of the outcome: fulfilled with what `fn` returned, rejected with what it threw. */
  promise(): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.whenSettled((call) => (call.failed ? reject(call.error) : resolve(call.value as R)));
    });
  }

  /** @internal The body of the green thread. */
  run(): void {
    try {
      this.value = Reflect.apply(this.fn, this.thisArg, this.args) as R;
    } catch (error) {
      this.failed = true;
      this.error = error;
    }
    this.finished = true;
    const listener = this.listener;
    this.listener = undefined;
    listener?.(this);
  }
}

function runCall(call: GreenCall): void {
  call.run();
}

/**
 * @internal Starts `fn` with `thisArg` and `args` in a new green thread at
 * once (in the caller's async context) and returns when it has finished or
 * first blocked. The thread itself never fails: its outcome is in the call.
 */
export function startGreenCall<R>(fn: Function, thisArg: unknown, args: ArrayLike<unknown>): GreenCall<R> {
  const call = new GreenCall<R>(fn, thisArg, args);
  runGreen(runCall, undefined, [call]);
  return call;
}

/**
 * Wraps `fn` so that it may block (call `sleep()`, `http.getSync()`, ...)
 * wherever it is called from: the documented way in for a framework that
 * greenpatch does not wrap for you.
 *
 * - Called inside a green thread, the wrapper just calls `fn` (same `this`,
 *   same arguments) and returns what it returns.
 * - Called outside one (from a callback on the hub), it starts `fn` at once in
 *   a new green thread, in the caller's async context, and returns a
 *   **promise** of the result, as an `async` function would: fulfilled with
 *   what `fn` returns (a promise returned by `fn` is adopted), rejected with
 *   what it throws, even when it throws before blocking. The caller goes on
 *   as soon as `fn` blocks or finishes.
 *
 * So, outside a green thread, treat the wrapper as an async function: a
 * framework that awaits its handlers' promises (koa, fastify, express 5) gets
 * the outcome; an event emitter ignores it, and a rejection nobody handles is
 * an unhandled rejection, as for an `async` listener (or goes to 'error' with
 * `captureRejections`).
 *
 * The wrapper has `fn`'s `length` and `name`, for frameworks that read a
 * handler's arity.
 *
 * @example
 * ```js
 * const { greenify, sleep } = require('greenpatch');
 * stream.on('data', greenify((chunk) => {
 *   const reply = http.getSync(`http://127.0.0.1:8080/lookup?q=${chunk}`);
 *   // ...
 * }));
 * ```
 */
export function greenify<A extends unknown[], R>(
  fn: (...args: A) => R,
): (...args: A) => R | Promise<Awaited<R>> {
  if (typeof fn !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "fn" argument must be a function', TypeError);
  }
  const wrapper = function (this: unknown): R | Promise<Awaited<R>> {
    if (inGreenThread()) return Reflect.apply(fn, this, arguments) as R;
    return startGreenCall<Awaited<R>>(fn, this, arguments).promise();
  };
  Object.defineProperty(wrapper, 'length', { value: fn.length });
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  return wrapper as (...args: A) => R | Promise<Awaited<R>>;
}
