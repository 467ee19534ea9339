// Timeout: interrupts whatever blocking call its green thread is in.
import { checkFunction, checkMs, codedError, TimeoutError } from './errors.js';
import { clearPending, currentTaskOrUndefined, interrupt, type Task } from './hub.js';
import { startTimer } from './timer.js';

/**
 * A deadline for the green thread that starts it: if it is still pending
 * after `ms` milliseconds, the thread's current (or next) blocking call
 * throws `error`, by default a `TimeoutError` whose `timeout` is this
 * object. `cancel()` it when the guarded work is done; it is disposable, so
 * `using t = Timeout.startNew(100)` cancels it at the end of the block.
 *
 * `ms` of `undefined`, `null` or `Infinity` never fires.
 *
 * @example
 * ```js
 * const t = new Timeout(50).start();
 * try {
 *   queue.get();
 * } catch (e) {
 *   if (e.timeout !== t) throw e; // someone else's timeout
 *   console.log('nothing came in 50 ms');
 * } finally {
 *   t.cancel();
 * }
 * ```
 */
export class Timeout implements Disposable {
  /** The delay in milliseconds (Infinity: never). */
  readonly ms: number;
  private readonly error: unknown;
  private readonly hasError: boolean;
  private clear: (() => void) | undefined = undefined;
  private task: Task | undefined = undefined;

  /**
   * @param ms - milliseconds (>= 0) from `start()`; undefined/null/Infinity for never.
   * @param error - what to throw instead of a `TimeoutError`.
   */
  constructor(ms?: number | null, error?: unknown) {
    this.ms = ms === undefined || ms === null ? Infinity : checkMs('ms', ms);
    this.hasError = arguments.length >= 2;
    this.error = error;
  }

  /** Creates a Timeout and starts it. */
  static startNew(ms?: number | null, error?: unknown): Timeout {
    const t = arguments.length >= 2 ? new Timeout(ms, error) : new Timeout(ms);
    return t.start();
  }

  /**
   * Arms the timer for the calling green thread. Returns `this`.
   *
   * @throws `ERR_GREENPATCH_NOT_IN_GREEN_THREAD` outside a green thread;
   *   `ERR_GREENPATCH_TIMEOUT_STARTED` when already pending.
   */
  start(): this {
    if (this.clear !== undefined) {
      throw codedError('ERR_GREENPATCH_TIMEOUT_STARTED', 'This Timeout is already pending');
    }
    const task = currentTaskOrUndefined();
    if (task === undefined) {
      throw codedError(
        'ERR_GREENPATCH_NOT_IN_GREEN_THREAD',
        'Timeout.start() must be called from a green thread (spawn)',
      );
    }
    this.task = task;
    if (this.ms === Infinity) return this;
    this.clear = startTimer(this.ms, () => {
      this.clear = undefined;
      interrupt(task, this.makeError(), this);
    });
    return this;
  }

  private makeError(): unknown {
    if (this.hasError) return this.error;
    return new TimeoutError(`Timed out after ${this.ms} ms`, this);
  }

  /** True while the timer is armed and has not fired. */
  get pending(): boolean {
    return this.clear !== undefined;
  }

  /**
   * Disarms the timer; also withdraws its error if it fired but has not
   * been delivered yet. Safe to call at any time, any number of times.
   */
  cancel(): void {
    const clear = this.clear;
    this.clear = undefined;
    if (clear !== undefined) clear();
    if (this.task !== undefined) clearPending(this.task, this);
  }

  /** The same as `cancel()`, for `using`. */
  [Symbol.dispose](): void {
    this.cancel();
  }
}

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions<D> {
  /** Returned instead of throwing `TimeoutError` when the time runs out. */
  timeoutValue?: D;
}

/**
 * Runs `fn()` in the calling green thread with a deadline of `ms`
 * milliseconds: returns its result, or, when the time runs out while it is
 * blocked, throws `TimeoutError` (or returns `options.timeoutValue` when
 * that option is given). Errors of other timeouts pass through.
 *
 * @throws `ERR_GREENPATCH_NOT_IN_GREEN_THREAD` outside a green thread.
 */
export function withTimeout<T, D = never>(ms: number, fn: () => T, options?: WithTimeoutOptions<D>): T | D {
  checkFunction('fn', fn);
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw codedError('ERR_INVALID_ARG_TYPE', 'withTimeout(ms, fn, options): options must be an object', TypeError);
  }
  const timeout = new Timeout(ms).start();
  try {
    return fn();
  } catch (error) {
    if (
      error instanceof TimeoutError &&
      error.timeout === timeout &&
      options !== undefined &&
      Object.prototype.hasOwnProperty.call(options, 'timeoutValue')
    ) {
      return options.timeoutValue as D;
    }
    throw error;
  } finally {
    timeout.cancel();
  }
}
