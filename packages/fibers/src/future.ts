// node-fibers' Future: a value that a fiber can wait for without blocking
// the thread. `require('@greenpatch/fibers/future')` is the Future class.
import { codedError } from './errors';
import { Fiber } from './fiber';

type Callback = (error: unknown, value?: unknown) => void;
type NodeStyle = (...args: any[]) => unknown;

/** A value (or error) that becomes available later; fibers `wait()` for it. */
class Future<T = any> {
  #resolved = false;
  #value: T | undefined;
  #error: unknown;
  #failed = false;
  #callbacks: Callback[] = [];

  /**
   * Wraps node-style async functions so that they return a Future instead of
   * taking a callback. Given a function, returns the wrapped function; given
   * an object (a module), returns an object whose `${name}${suffix}` methods
   * are wrapped versions of its functions. `multi` resolves to the array of
   * all callback results instead of the first.
   */
  static wrap(fnOrObject: NodeStyle | object, multi = false, suffix = 'Future'): any {
    if (typeof fnOrObject === 'function') return wrapFunction(fnOrObject as NodeStyle, multi);
    if (fnOrObject === null || typeof fnOrObject !== 'object') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'Future.wrap() takes a function or an object', TypeError);
    }
    const wrapped: Record<string, unknown> = Object.create(fnOrObject);
    for (const key of allKeys(fnOrObject)) {
      const value = (fnOrObject as Record<string, unknown>)[key];
      if (typeof value === 'function') {
        // defineProperty, not assignment: [[Set]] through a module namespace
        // prototype is refused.
        Object.defineProperty(wrapped, key + suffix, {
          value: wrapFunction((value as NodeStyle).bind(fnOrObject), multi),
          writable: true,
          configurable: true,
          enumerable: true,
        });
      }
    }
    return wrapped;
  }

  /** Runs `fn` in a new fiber; the Future resolves to its return value or error. */
  static task<R>(fn: () => R): Future<R> {
    const future = new Future<R>();
    Fiber(() => {
      let value: R;
      try {
        value = fn();
      } catch (error) {
        future.throw(error);
        return;
      }
      future.return(value);
    }).run();
    return future;
  }

  /**
   * Waits in the current fiber until every given future (arguments or arrays
   * of them) has resolved. Does not throw their errors: call `get()` for that.
   */
  static wait(...futures: Array<Future | Future[]>): void {
    const all = futures.flat();
    for (const f of all) {
      if (!(f instanceof Future)) {
        throw codedError('ERR_INVALID_ARG_TYPE', 'Future.wait() takes Futures', TypeError);
      }
    }
    const pending = all.filter((f) => !f.isResolved());
    if (pending.length === 0) return;
    const fiber = requireFiber('Future.wait()');
    let left = pending.length;
    for (const f of pending) {
      f.#onResolve(() => {
        if (--left === 0) fiber.run();
      });
    }
    while (left > 0) Fiber.yield();
  }

  /** A Future that follows `promise`. */
  static fromPromise<R>(promise: PromiseLike<R>): Future<R> {
    const future = new Future<R>();
    promise.then(
      (value) => future.return(value),
      (error) => future.throw(error),
    );
    return future;
  }

  /** True once `return()` or `throw()` was called. */
  isResolved(): boolean {
    return this.#resolved;
  }

  /** The value, or throws the error. Throws `ERR_FUTURE_NOT_RESOLVED` before it resolves. */
  get(): T {
    if (!this.#resolved) {
      throw codedError('ERR_FUTURE_NOT_RESOLVED', 'Future must resolve before value is ready');
    }
    if (this.#failed) throw this.#error;
    return this.#value as T;
  }

  /** Suspends the current fiber until the Future resolves, then returns `get()`. */
  wait(): T {
    if (!this.#resolved) {
      const fiber = requireFiber('future.wait()');
      this.#onResolve(() => fiber.run());
      while (!this.#resolved) Fiber.yield();
    }
    return this.get();
  }

  /** Resolves with `value`; waiting fibers and callbacks run now. */
  return(value?: T): void {
    this.#settle(false, value, undefined);
  }

  /** Resolves with `error`; waiting fibers and callbacks see it. */
  throw(error: unknown): void {
    this.#settle(true, undefined, error);
  }

  /** A node-style `(err, value)` callback that resolves this Future. */
  resolver(): Callback {
    return (error, value) => {
      if (error) this.throw(error);
      else this.return(value as T);
    };
  }

  /**
   * Calls back once resolved: `resolve((err, value) => ...)`, or
   * `resolve(onError, onValue)` with the error and value handled apart.
   */
  resolve(callback: Callback): this;
  resolve(onError: (error: unknown) => void, onValue: (value: T) => void): this;
  resolve(first: Callback | ((error: unknown) => void), second?: (value: T) => void): this {
    if (second === undefined) {
      this.#onResolve(() => (first as Callback)(this.#failed ? this.#error : undefined, this.#failed ? undefined : this.#value));
    } else {
      this.#onResolve(() => (this.#failed ? (first as (e: unknown) => void)(this.#error) : second(this.#value as T)));
    }
    return this;
  }

  /** Calls back with the value only; an error is thrown from where it resolves. */
  resolveSuccess(callback: (value: T) => void): this {
    this.#onResolve(() => {
      if (this.#failed) throw this.#error;
      callback(this.#value as T);
    });
    return this;
  }

  /** Resolves `other` the same way once this one resolves. */
  proxy(other: Future<T>): void {
    this.#onResolve(() => (this.#failed ? other.throw(this.#error) : other.return(this.#value)));
  }

  /** Passes this Future's error, if any, to `other`; a value goes to `callback`. */
  proxyErrors(other: Future, callback?: (value: T) => void): this {
    this.#onResolve(() => {
      if (this.#failed) other.throw(this.#error);
      else callback?.(this.#value as T);
    });
    return this;
  }

  /**
   * Stops caring about the result, except that an error is not lost: it is
   * thrown from where the Future resolves.
   */
  detach(): void {
    this.#onResolve(() => {
      if (this.#failed) throw this.#error;
    });
  }

  /** A Promise for the result. */
  promise(): Promise<T> {
    return new Promise<T>((resolve, reject) => this.resolve(reject, resolve));
  }

  #settle(failed: boolean, value: T | undefined, error: unknown): void {
    if (this.#resolved) {
      throw codedError('ERR_FUTURE_RESOLVED', 'Future resolved more than once');
    }
    this.#resolved = true;
    this.#failed = failed;
    this.#value = value;
    this.#error = error;
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const cb of callbacks) cb(undefined);
  }

  #onResolve(cb: () => void): void {
    if (this.#resolved) cb();
    else this.#callbacks.push(() => cb());
  }
}

function requireFiber(what: string): Fiber {
  const fiber = Fiber.current;
  if (fiber === undefined) {
    throw codedError('ERR_FIBER_YIELD_OUTSIDE', `Can't ${what} without a fiber: call it inside a running fiber`);
  }
  return fiber;
}

function wrapFunction(fn: NodeStyle, multi: boolean): (...args: unknown[]) => Future {
  return function (this: unknown, ...args: unknown[]) {
    const future = new Future();
    const callback = (error: unknown, ...results: unknown[]) => {
      if (error) future.throw(error);
      else future.return(multi ? results : results[0]);
    };
    fn.apply(this, [...args, callback]);
    return future;
  };
}

function allKeys(object: object): string[] {
  const keys = new Set<string>();
  for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) if (key !== 'constructor') keys.add(key);
  }
  return [...keys];
}

export = Future;
