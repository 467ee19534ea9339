// node-fibers' Future: a value that a fiber can wait for without blocking
// the thread. `require('@greenpatch/fibers/future')` is the Future class.
// Behaviour follows node-fibers 5 wherever code written for it can see it
// (fields, tick order, messages); errors also carry a `code`.
import { codedError } from './errors';
import { Fiber } from './fiber';

type Callback = (error: unknown, value?: unknown) => void;
type NodeStyle = (...args: any[]) => unknown;
/** A waiter: a node-style callback, or (errors to a future, values to a function). */
type Waiter = [Callback] | [Future, (value: unknown) => void];

/** A value (or error) that becomes available later; fibers `wait()` for it. */
class Future<T = any> {
  /** True once `return()` or `throw()` was called (node-fibers' public field). */
  resolved?: boolean;
  /** The value given to `return()`. */
  value?: T;
  /** The error given to `throw()`. */
  error?: unknown;
  #waiters: Waiter[] | undefined;

  /**
   * Wraps node-style async functions so that they return a Future instead of
   * taking a callback. Given a function, returns the wrapped function (whose
   * prototype chain also offers `${name}${suffix}` versions of the function's
   * own methods); given an object (a module), returns an object inheriting
   * from it with `${name}${suffix}` wrapped versions of its functions.
   * `multi` resolves to the array of all callback results instead of the first.
   */
  static wrap(fnOrObject: NodeStyle | object, multi = false, suffix = 'Future'): any {
    if (typeof fnOrObject === 'function') {
      const wrapped = wrapFunction(fnOrObject as NodeStyle, multi);
      Object.setPrototypeOf(wrapped, wrapObject(fnOrObject, multi, suffix));
      return wrapped;
    }
    if (fnOrObject === null || typeof fnOrObject !== 'object') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'Future.wrap() takes a function or an object', TypeError);
    }
    return wrapObject(fnOrObject, multi, suffix);
  }

  /**
   * Runs `fn` in a new fiber on a later tick (or at once when a fiber waits
   * for it first, in `Future.wait()`); the Future resolves to its return
   * value or error. Given several functions, resolves to the array of their
   * results, or to an error if any threw.
   */
  static task<R>(fn: () => R): Future<R>;
  static task(...fns: Array<() => unknown>): Future<unknown[]>;
  static task(...fns: Array<() => unknown>): Future {
    for (const fn of fns) {
      if (typeof fn !== 'function') {
        throw codedError('ERR_INVALID_ARG_TYPE', 'Future.task() takes functions', TypeError);
      }
    }
    if (fns.length === 1) return new FiberFuture(fns[0]!, undefined, []);
    const all = new Future<unknown[]>();
    const values = new Array<unknown>(fns.length);
    let pending = fns.length;
    let failure: unknown;
    fns.forEach((fn, i) => {
      new FiberFuture(fn, undefined, []).resolve((error, value) => {
        if (error) failure = error;
        values[i] = value;
        if (--pending === 0) {
          if (failure) all.throw(failure);
          else all.return(values);
        }
      });
    });
    return all;
  }

  /**
   * Waits in the current fiber until every given future (arguments or arrays
   * of them) has resolved. Does not throw their errors: call `get()` for that.
   * Must be called in a fiber, even when all are resolved already.
   */
  static wait(...futures: Array<Future | Future[]>): void {
    const pending: Future[] = [];
    let inline: FiberFuture | undefined;
    const take = (f: unknown) => {
      if (!(f instanceof Future)) {
        throw codedError('ERR_INVALID_ARG_TYPE', `${String(f)} is not a future`, TypeError);
      }
      if (f.isResolved()) return;
      // One task nobody started yet runs right here instead of in a fiber of its own.
      if (inline === undefined && f instanceof FiberFuture && !f.started) inline = f;
      else pending.push(f);
    };
    for (const arg of futures) {
      if (Array.isArray(arg)) arg.forEach(take);
      else take(arg);
    }
    const fiber = requireFiber();
    let left = pending.length + (inline === undefined ? 0 : 1);
    const done = () => {
      if (--left === 0) fiber.run();
    };
    for (const f of pending) f.resolve(done);
    if (inline !== undefined) {
      inline.runHere();
      left--;
    }
    if (left > 0) Fiber.yield();
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
    return this.resolved === true;
  }

  /** The value, or throws the error. Throws `ERR_FUTURE_NOT_RESOLVED` before it resolves. */
  get(): T {
    if (!this.resolved) {
      throw codedError('ERR_FUTURE_NOT_RESOLVED', 'Future must resolve before value is ready');
    }
    if (this.error) throw this.error;
    return this.value as T;
  }

  /**
   * Returns `get()`; when not resolved yet, first suspends the current fiber
   * until it is (`ERR_FIBER_YIELD_OUTSIDE` with no fiber running).
   */
  wait(): T {
    if (!this.isResolved()) Future.wait(this);
    return this.get();
  }

  /**
   * Resolves with `value`. Waiting fibers and callbacks run now, in order; a
   * callback that throws does not stop the others: its error is thrown again
   * on a later tick.
   */
  return(value?: T): void {
    this.#settle();
    this.value = value;
    this.resolved = true;
    this.#notify();
  }

  /**
   * Resolves with `error`, which must be truthy (node-fibers' rule: a falsy
   * error would read as success in node-style callbacks).
   */
  throw(error: unknown): void {
    this.#settle();
    if (!error) throw codedError('ERR_INVALID_ARG_VALUE', 'Must throw non-empty error');
    this.error = error;
    this.resolved = true;
    this.#notify();
  }

  /** A node-style `(err, value)` callback that resolves this Future. */
  resolver(): Callback {
    return (error, value) => {
      if (error) this.throw(error);
      else this.return(value as T);
    };
  }

  /**
   * Calls back once resolved: `resolve((err, value) => ...)`, or, as in
   * node-fibers, `resolve(otherFuture, onValue)`: an error goes to
   * `otherFuture.throw()`, a value to `onValue`. A function in place of
   * `otherFuture` is called with the error instead.
   */
  resolve(callback: Callback): this;
  resolve(errors: Future | ((error: unknown) => void), onValue: (value: T) => void): this;
  resolve(first: Callback | Future | ((error: unknown) => void), second?: (value: T) => void): this {
    let waiter: Waiter;
    if (second === undefined) {
      if (typeof first !== 'function') {
        throw codedError('ERR_INVALID_ARG_TYPE', 'resolve() takes a callback', TypeError);
      }
      waiter = [first as Callback];
    } else if (first instanceof Future) {
      waiter = [first, second as (value: unknown) => void];
    } else if (typeof first === 'function') {
      const onError = first as (error: unknown) => void;
      waiter = [(error, value) => (error ? onError(error) : second(value as T))];
    } else {
      throw codedError('ERR_INVALID_ARG_TYPE', 'resolve() takes a future or a function for errors', TypeError);
    }
    if (this.resolved) this.#call(waiter);
    else (this.#waiters ??= []).push(waiter);
    return this;
  }

  /** Calls back with the value; an error is ignored (handle it elsewhere). */
  resolveSuccess(callback: (value: T) => void): this {
    return this.resolve((error, value) => {
      if (!error) callback(value as T);
    });
  }

  /** Resolves `other` the same way once this one resolves. */
  proxy(other: Future<T>): void {
    this.resolve((error, value) => (error ? other.throw(error) : other.return(value as T)));
  }

  /** Passes this Future's error, if any, to `other` (a future or an array of them). */
  proxyErrors(other: Future | Future[]): this {
    return this.resolve((error) => {
      if (!error) return;
      if (Array.isArray(other)) for (const f of other) f.throw(error);
      else other.throw(error);
    });
  }

  /**
   * Stops caring about the result, except that an error is not lost: it is
   * thrown on a later tick (an uncaught exception unless handled).
   */
  detach(): void {
    this.resolve((error) => {
      if (error) throw error;
    });
  }

  /** A Promise for the result. */
  promise(): Promise<T> {
    return new Promise<T>((resolve, reject) => this.resolve((error, value) => (error ? reject(error) : resolve(value as T))));
  }

  #settle(): void {
    if (this.resolved) throw codedError('ERR_FUTURE_RESOLVED', 'Future resolved more than once');
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters === undefined) return;
    for (const waiter of waiters) {
      try {
        this.#call(waiter);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }

  #call(waiter: Waiter): void {
    if (waiter.length === 1) waiter[0](this.error, this.value);
    else if (this.error) waiter[0].throw(this.error);
    else waiter[1](this.value);
  }
}

/** The Future of `fn.future()` and `Future.task()`: runs in a fiber of its own on the next tick. */
class FiberFuture extends Future {
  started = false;

  constructor(
    private readonly fn: (...args: any[]) => unknown,
    private readonly self: unknown,
    private readonly args: unknown[],
  ) {
    super();
    process.nextTick(() => {
      if (this.started) return;
      this.started = true;
      Fiber(() => this.settleWith()).run();
    });
  }

  /** @internal Runs the function in the calling fiber (`Future.wait()`). */
  runHere(): void {
    this.started = true;
    this.settleWith();
  }

  private settleWith(): void {
    let value: unknown;
    try {
      value = this.fn.apply(this.self, this.args);
    } catch (error) {
      this.throw(error);
      return;
    }
    this.return(value);
  }
}

/**
 * node-fibers' `future` module adds `fn.future(detach?)`: a function that
 * runs `fn` (with its `this` and arguments) in a new fiber on a later tick
 * and returns a Future for its result. Code written for it reads this at
 * load, so loading this entry adds it as well (non-enumerable); nothing else
 * of this package touches built-in prototypes.
 */
declare global {
  interface Function {
    future(detach?: boolean): (...args: any[]) => Future;
  }
}
if (!Object.prototype.hasOwnProperty.call(Function.prototype, 'future')) {
  Object.defineProperty(Function.prototype, 'future', {
    value: function future(this: (...args: any[]) => unknown, detach?: boolean) {
      const fn = this;
      const futureFn = function (this: unknown, ...args: unknown[]) {
        const f = new FiberFuture(fn, this, args);
        if (detach) f.detach();
        return f;
      };
      futureFn.toString = () => `<<Future ${String(fn)}.future()>>`;
      return futureFn;
    },
    writable: true,
    configurable: true,
  });
}

function requireFiber(): Fiber {
  const fiber = Fiber.current;
  if (fiber === undefined) {
    throw codedError('ERR_FIBER_YIELD_OUTSIDE', "Can't wait without a fiber");
  }
  return fiber;
}

function wrapFunction(fn: NodeStyle, multi: boolean): (...args: unknown[]) => Future {
  return function (this: unknown, ...args: unknown[]) {
    const future = new Future() as Future & { _?: unknown };
    const resolve = future.resolver();
    args.push(multi ? (error: unknown, ...results: unknown[]) => resolve(error, results) : resolve);
    future._ = fn.apply(this, args);
    return future;
  };
}

function wrapObject(object: object, multi: boolean, suffix: string): object {
  const wrapped: Record<string, unknown> = Object.create(object);
  for (const key of allKeys(object)) {
    let value: unknown;
    try {
      value = (object as Record<string, unknown>)[key];
    } catch {
      continue; // an accessor that throws on this receiver
    }
    if (typeof value === 'function') {
      // defineProperty, not assignment: [[Set]] through a module namespace
      // prototype is refused.
      Object.defineProperty(wrapped, key + suffix, {
        value: wrapFunction((value as NodeStyle).bind(object), multi),
        writable: true,
        configurable: true,
        enumerable: true,
      });
    }
  }
  return wrapped;
}

/** Own and inherited names, enumerable or not (class methods are not), up to Object.prototype / Function.prototype. */
function allKeys(object: object): string[] {
  const keys = new Set<string>();
  for (
    let o: object | null = object;
    o !== null && o !== Object.prototype && o !== Function.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== 'constructor' && key !== 'prototype' && key !== 'caller' && key !== 'arguments') keys.add(key);
    }
  }
  return [...keys];
}

export = Future;
