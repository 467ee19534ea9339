// GreenPool (a bounded set of green threads) and GreenPile (results in order).
import Fiber = require('@greenpatch/fibers');
import { Deque } from './deque.js';
import { checkCount, checkFunction, codedError } from './errors.js';
import { GreenThread, spawnThread } from './greenthread.js';
import { blockOn, requireTask, TIMED_OUT, type Waker } from './hub.js';
import { WaiterList } from './linkable.js';

/** The most fiber stacks a pool asks the engine to keep for reuse. */
const MAX_STACK_CACHE = 10_000;

/**
 * A pool of `size` threads starts and ends threads all the time: ask the
 * engine to keep that many finished fibers' stacks for reuse (never fewer
 * than it keeps already), so that a new thread does not map a new stack.
 */
function cacheStacks(size: number): void {
  const wanted = Math.min(size, MAX_STACK_CACHE);
  if (Fiber.poolSize < wanted) Fiber.poolSize = wanted;
}

function* zip(iterables: Iterable<unknown>[]): Generator<unknown[], void, undefined> {
  if (iterables.length === 0) {
    throw codedError('ERR_MISSING_ARGS', 'At least one iterable is required', TypeError);
  }
  const iterators = iterables.map((i) => {
    if (typeof (i as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator] !== 'function') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'imap() and map() take iterables of inputs', TypeError);
    }
    return i[Symbol.iterator]();
  });
  try {
    for (;;) {
      const row: unknown[] = [];
      for (const it of iterators) {
        const n = it.next();
        if (n.done === true) return;
        row.push(n.value);
      }
      yield row;
    }
  } finally {
    for (const it of iterators) it.return?.();
  }
}

function* asArgs(iterable: Iterable<unknown>): Generator<unknown[], void, undefined> {
  if (typeof (iterable as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator] !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'starmap() takes an iterable of argument arrays', TypeError);
  }
  for (const args of iterable) {
    if (!Array.isArray(args)) {
      throw codedError('ERR_INVALID_ARG_TYPE', 'starmap() takes an iterable of argument arrays', TypeError);
    }
    yield args;
  }
}

/**
 * A bounded set of green threads: at most `size` of its threads run at a
 * time, and `spawn()` blocks while it is full. Its `imap()` family runs a
 * function over many inputs with that much concurrency.
 *
 * @example
 * ```js
 * const pool = new GreenPool(10);
 * spawn(() => {
 *   for (const body of pool.imap((url) => wait(fetch(url).then((r) => r.text())), urls)) {
 *     console.log(body.length);
 *   }
 * });
 * ```
 */
export class GreenPool {
  // The slots are counted here rather than with a Semaphore (as gevent's and
  // eventlet's pools do): a pool can be resized while threads run, to a
  // smaller size (running threads finish; the count is then above the
  // limit) or to Infinity, and waitAll() waits for the count to reach 0,
  // none of which a Semaphore's permits express. The waiting spawners and
  // waitAll() callers wait on the same waiter lists as a Semaphore's.
  private limit: number;
  private active = 0;
  private readonly spawners = new WaiterList<void, GreenPool>(this);
  private readonly idlers = new WaiterList<boolean, GreenPool>(this);
  private readonly onExit = (): void => this.slotFreed();

  /**
   * @param size - the most threads running at once: an integer >= 0, or
   *   Infinity (default 1000). The fiber engine is asked to keep up to that
   *   many (at most 10,000) finished threads' stacks for reuse
   *   (`Fiber.poolSize` is raised, never lowered).
   */
  constructor(size = 1000) {
    this.limit = checkCount('size', size, 0, true);
    cacheStacks(this.limit);
  }

  /** The most threads running at once. */
  get size(): number {
    return this.limit;
  }

  /** The number of the pool's threads running (started and not finished). */
  running(): number {
    return this.active;
  }

  /** The number of threads that could be spawned now without blocking. */
  free(): number {
    return Math.max(0, this.limit - this.active);
  }

  /** The number of green threads blocked in `spawn()`/`spawnN()` waiting for room. */
  waiting(): number {
    return this.spawners.waiting;
  }

  /**
   * Changes the size. Growing lets waiting spawners in; shrinking lets the
   * threads running finish, and admits new ones only below the new size.
   */
  resize(size: number): void {
    this.limit = checkCount('size', size, 0, true);
    cacheStacks(this.limit);
    while (this.spawners.waiting > 0 && this.active < this.limit) {
      this.active++;
      this.spawners.wakeOne(undefined);
    }
  }

  private slotFreed(): void {
    // Hand the slot straight to the first waiting spawner.
    if (this.active <= this.limit && this.spawners.wakeOne(undefined)) return;
    this.active--;
    if (this.active === 0 && this.spawners.waiting === 0) this.idlers.notifyAll(true);
  }

  private acquireSlot(what: string): void {
    if (this.active < this.limit && this.spawners.waiting === 0) {
      this.active++;
      return;
    }
    this.spawners.wait(what, undefined);
  }

  private launch<T>(fn: (...args: any[]) => T, args: unknown[], detached: boolean, what: string): GreenThread<T> {
    checkFunction('fn', fn);
    this.acquireSlot(what);
    const thread = spawnThread(fn, args, detached, this);
    thread.rawlink(this.onExit);
    return thread;
  }

  /**
   * Starts `fn(...args)` in a new green thread of the pool, first blocking
   * until the pool has room. Returns its handle.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when the pool is full and the caller is not a green thread.
   */
  spawn<A extends unknown[], T>(fn: (...args: A) => T, ...args: A): GreenThread<T> {
    return this.launch(fn as (...args: any[]) => T, args, false, 'GreenPool.spawn()');
  }

  /** Like `spawn()` without a handle; the thread's errors go to the error handler. */
  spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    this.launch(fn as (...args: any[]) => unknown, args, true, 'GreenPool.spawnN()');
  }

  /**
   * Blocks until none of the pool's threads is running (and no spawner is
   * waiting). Returns false when `timeout` ms passed first.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  waitAll(timeout?: number): boolean {
    if (this.active === 0 && this.spawners.waiting === 0) return true;
    return this.idlers.wait('GreenPool.waitAll()', timeout) !== TIMED_OUT;
  }

  private *ordered<R>(fn: (...args: any[]) => R, args: Iterator<unknown[]>, what: string): Generator<R, void, undefined> {
    requireTask(what);
    const pending = new Deque<GreenThread<R>>();
    let exhausted = false;
    try {
      for (;;) {
        // Start as many as fit without blocking, keeping at most `size`
        // calls outstanding (running, or finished and not yet consumed);
        // inputs are read only then (lazy).
        while (!exhausted && pending.length < this.limit && this.active < this.limit && this.spawners.waiting === 0) {
          const n = args.next();
          if (n.done === true) exhausted = true;
          else pending.push(this.launch(fn, n.value, false, what));
        }
        const next = pending.shift();
        if (next === undefined) {
          if (exhausted) return;
          // The pool is full of other threads: wait for room for one.
          const n = args.next();
          if (n.done === true) return;
          pending.push(this.launch(fn, n.value, false, what));
          continue;
        }
        yield next.wait();
      }
    } finally {
      args.return?.();
    }
  }

  private *unordered<R>(fn: (...args: any[]) => R, args: Iterator<unknown[]>, what: string): Generator<R, void, undefined> {
    const task = requireTask(what);
    const finished = new Deque<GreenThread<R>>();
    let inflight = 0;
    let exhausted = false;
    let waiter: Waker<void> | undefined;
    const hook = (t: GreenThread<R>) => {
      finished.push(t);
      const w = waiter;
      waiter = undefined;
      if (w !== undefined) w.resume();
    };
    const start = (argv: unknown[]) => {
      const t = this.launch(fn, argv, false, what);
      t.rawlink(hook);
      inflight++;
    };
    try {
      for (;;) {
        while (!exhausted && inflight < this.limit && this.active < this.limit && this.spawners.waiting === 0) {
          const n = args.next();
          if (n.done === true) exhausted = true;
          else start(n.value);
        }
        const t = finished.shift();
        if (t !== undefined) {
          inflight--;
          yield t.wait();
          continue;
        }
        if (inflight === 0) {
          if (exhausted) return;
          const n = args.next();
          if (n.done === true) return;
          start(n.value);
          continue;
        }
        blockOn<void>(task, what, (wake) => {
          waiter = wake;
          return () => {
            waiter = undefined;
          };
        });
      }
    } finally {
      args.return?.();
    }
  }

  /**
   * Calls `fn` on each input (with several iterables, on each row of their
   * zip: `fn(a[i], b[i])`, stopping at the shortest) in the pool's threads
   * and yields the results in input order. Lazy and bounded: inputs are
   * read only as the pool has room, at most `size` calls run at once, and at
   * most `size` results are held ahead of the consumer. Consume it with `for...of` from a green
   * thread. If a call throws, the iteration throws that error.
   */
  imap<R>(fn: (...args: any[]) => R, ...iterables: Iterable<unknown>[]): IterableIterator<R> {
    checkFunction('fn', fn);
    return this.ordered(fn, zip(iterables), 'GreenPool.imap()');
  }

  /** Like `imap()`, but yields each result as soon as it is ready (completion order). */
  imapUnordered<R>(fn: (...args: any[]) => R, ...iterables: Iterable<unknown>[]): IterableIterator<R> {
    checkFunction('fn', fn);
    return this.unordered(fn, zip(iterables), 'GreenPool.imapUnordered()');
  }

  /** `imap()` collected into an array (blocks until all are done). */
  map<R>(fn: (...args: any[]) => R, ...iterables: Iterable<unknown>[]): R[] {
    checkFunction('fn', fn);
    return Array.from(this.ordered(fn, zip(iterables), 'GreenPool.map()'));
  }

  /** Like `imap()`, with each input an array of arguments: `fn(...args)`. */
  starmap<R>(fn: (...args: any[]) => R, iterable: Iterable<unknown[]>): IterableIterator<R> {
    checkFunction('fn', fn);
    return this.ordered(fn, asArgs(iterable), 'GreenPool.starmap()');
  }
}

/**
 * A pile of calls running in a pool, whose results are read back in the
 * order they were spawned: `spawn()` each, then iterate. Iteration ends
 * when every spawned result has been read.
 *
 * @example
 * ```js
 * const pile = new GreenPile(4);
 * for (const n of [3, 1, 2]) pile.spawn((x) => { sleep(x); return x * 10; }, n);
 * console.log([...pile]); // [30, 10, 20]
 * ```
 */
export class GreenPile<T = unknown> implements IterableIterator<T> {
  /** The pool the calls run in. */
  readonly pool: GreenPool;
  private readonly pending = new Deque<GreenThread<T>>();

  /** @param poolOrSize - a GreenPool to share, or the size of a new one (default 1000). */
  constructor(poolOrSize: GreenPool | number = 1000) {
    this.pool = poolOrSize instanceof GreenPool ? poolOrSize : new GreenPool(poolOrSize);
  }

  /** Starts `fn(...args)` in the pool (blocking while it is full). */
  spawn<A extends unknown[]>(fn: (...args: A) => T, ...args: A): void {
    this.pending.push(this.pool.spawn(fn, ...args));
  }

  /** The number of results spawned and not read yet. */
  get length(): number {
    return this.pending.length;
  }

  /** Waits for the next result in spawn order (or throws its error). */
  next(): IteratorResult<T, undefined> {
    const t = this.pending.shift();
    if (t === undefined) return { done: true, value: undefined };
    return { done: false, value: t.wait() };
  }

  /** The pile is its own iterator. */
  [Symbol.iterator](): this {
    return this;
  }
}
