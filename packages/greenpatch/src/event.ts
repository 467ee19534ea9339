// Event (a flag threads wait on) and AsyncResult (a value delivered once).
import { TimeoutError } from './errors.js';
import { TIMED_OUT } from './hub.js';
import { WaiterList, type LinkCallback, type Linkable } from './linkable.js';

/**
 * A flag green threads can wait for: `set()` wakes every waiter, `clear()`
 * resets it so that later `wait()` calls block again.
 *
 * @example
 * ```js
 * const ready = new Event();
 * spawn(() => { ready.wait(); console.log('go'); });
 * spawn(() => { sleep(10); ready.set(); });
 * ```
 */
export class Event implements Linkable<Event> {
  private flag = false;
  private readonly waiters = new WaiterList<boolean, Event>(this);

  /** True when the flag is set. */
  isSet(): boolean {
    return this.flag;
  }

  /** True when the flag is set: the same as `isSet()` (gevent's `ready()`, what `rawlink` waits for). */
  ready(): boolean {
    return this.flag;
  }

  /** Sets the flag, wakes every thread waiting for it (they resume on later hub turns) and calls the rawlinked callbacks. */
  set(): void {
    this.flag = true;
    this.waiters.notifyAll(true);
  }

  /** See {@link Linkable.rawlink}: `callback(this)` once the flag is set. */
  rawlink(callback: LinkCallback<Event>): void {
    this.waiters.rawlink(callback, this.flag);
  }

  /** Removes a callback added with `rawlink()`. */
  unlink(callback: LinkCallback<Event>): void {
    this.waiters.unlink(callback);
  }

  /** Resets the flag. Threads already woken by `set()` still return true. */
  clear(): void {
    this.flag = false;
  }

  /**
   * Blocks until the flag is set, or `timeout` ms have passed. Returns true
   * when the flag was set (returns at once, even on the hub, if it is set
   * now), false on timeout.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  wait(timeout?: number): boolean {
    if (this.flag) return true;
    return this.waiters.wait('Event.wait()', timeout) !== TIMED_OUT;
  }
}

const enum ResultState {
  Pending,
  Value,
  Error,
}

/**
 * A value or an error delivered once, to any number of green threads
 * waiting for it (like a promise they can block on). `set()` or
 * `setException()` again replaces it.
 *
 * @typeParam T - the value's type.
 */
export class AsyncResult<T = unknown> implements Linkable<AsyncResult<T>> {
  private state = ResultState.Pending;
  private result: T | undefined = undefined;
  private error: unknown = undefined;
  private readonly waiters = new WaiterList<boolean, AsyncResult<T>>(this);

  private settle(state: ResultState, value: T | undefined, error: unknown): void {
    this.state = state;
    this.result = value;
    this.error = error;
    this.waiters.notifyAll(true);
  }

  /** See {@link Linkable.rawlink}: `callback(this)` once a value or an error is stored. */
  rawlink(callback: LinkCallback<AsyncResult<T>>): void {
    this.waiters.rawlink(callback, this.state !== ResultState.Pending);
  }

  /** Removes a callback added with `rawlink()`. */
  unlink(callback: LinkCallback<AsyncResult<T>>): void {
    this.waiters.unlink(callback);
  }

  /** Stores `value` and wakes every waiter. */
  set(value?: T): void {
    this.settle(ResultState.Value, value, undefined);
  }

  /** Stores `error`: `get()` will throw it. Wakes every waiter. */
  setException(error: unknown): void {
    this.settle(ResultState.Error, undefined, error);
  }

  /** True once a value or an error is stored. */
  ready(): boolean {
    return this.state !== ResultState.Pending;
  }

  /** True once a value (not an error) is stored. */
  successful(): boolean {
    return this.state === ResultState.Value;
  }

  /** The stored value, or undefined. */
  get value(): T | undefined {
    return this.result;
  }

  /** The stored error, or undefined. */
  get exception(): unknown {
    return this.state === ResultState.Error ? this.error : undefined;
  }

  private block(what: string, timeout: number | undefined): boolean {
    if (this.state !== ResultState.Pending) return true;
    return this.waiters.wait(what, timeout) !== TIMED_OUT;
  }

  /**
   * Returns the value, or throws the stored error. When nothing is stored
   * yet: with `block` (the default) waits for it, at most `timeout` ms, then
   * throws `TimeoutError`; without, throws `TimeoutError` at once.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  get(block = true, timeout?: number): T {
    if (this.state === ResultState.Pending) {
      if (!block) throw new TimeoutError('AsyncResult.get() found no result');
      if (!this.block('AsyncResult.get()', timeout)) {
        throw new TimeoutError(`AsyncResult.get() timed out after ${timeout} ms`);
      }
    }
    if (this.state === ResultState.Error) throw this.error;
    return this.result as T;
  }

  /**
   * Waits (at most `timeout` ms) until a value or an error is stored, and
   * returns the value: undefined on timeout or when an error is stored
   * (it never throws the stored error).
   */
  wait(timeout?: number): T | undefined {
    this.block('AsyncResult.wait()', timeout);
    return this.result;
  }
}
