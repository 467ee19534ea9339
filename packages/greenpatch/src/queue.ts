// Queues for green threads: FIFO, LIFO, priority, joinable, and the
// unbuffered Channel. Blocking methods block only the calling green thread;
// getAsync()/putAsync() and async iteration serve code on the hub.
import { Deque } from './deque.js';
import { checkCount, codedError, describeValue, Empty, Full } from './errors.js';
import { TIMED_OUT, type Waker } from './hub.js';
import { waitIn, WaiterList, type LinkCallback, type Linkable } from './linkable.js';

/** A waiter of either kind: a blocked green thread's waker or a promise's resolvers. */
type Waiter<T> = Pick<Waker<T>, 'resume' | 'fail'>;

interface Putter<T> {
  item: T;
  wake: Waiter<void>;
}

const asWaiter = <T>(wake: Waker<T>): Waiter<T> => wake;

function checkMaxsize(maxsize: number | null | undefined): number {
  if (maxsize === undefined || maxsize === null) return Infinity;
  return checkCount('maxsize', maxsize, 1, true);
}

/**
 * A first-in first-out queue. `put()` blocks while it is full (`maxsize`
 * items; unbounded by default), `get()` while it is empty. Blocked getters
 * and putters are served in the order they came.
 *
 * Iterable from a green thread (`for (const item of queue)`, blocking for
 * each item) and async-iterable from anywhere (`for await`); both go on
 * until the loop is left.
 *
 * @typeParam T - the items' type.
 */
export class Queue<T = unknown> implements Iterable<T>, AsyncIterable<T>, Linkable<Queue<T>> {
  /** The most items it holds (Infinity: unbounded). */
  readonly maxsize: number;
  /** @internal */ protected readonly getters = new Deque<Waiter<T>>();
  /** @internal */ protected readonly putters = new Deque<Putter<T>>();
  private readonly fifo = new Deque<T>();
  /** Only its links: blocked getters wait in `getters`, where items are handed to them. */
  private readonly readiness = new WaiterList<void, Queue<T>>(this);

  /** @param maxsize - an integer >= 1, or Infinity/undefined for unbounded. */
  constructor(maxsize?: number | null) {
    this.maxsize = checkMaxsize(maxsize);
  }

  /** @internal Storage: adds an item. */
  protected store(item: T): void {
    this.fifo.push(item);
  }
  /** @internal Storage: removes and returns the next item. */
  protected take(): T {
    return this.fifo.shift() as T;
  }
  /** @internal Storage: the item count. */
  protected count(): number {
    return this.fifo.length;
  }
  /** @internal Storage: the next item, not removed. */
  protected first(): T | undefined {
    return this.fifo.peek();
  }
  /** @internal Called for each item that enters the queue. */
  protected added(): void {}

  private what(method: string): string {
    return `${this.constructor.name}.${method}()`;
  }

  /** The number of items in the queue. */
  qsize(): number {
    return this.count();
  }

  /** True when the queue holds no item. */
  empty(): boolean {
    return this.count() === 0;
  }

  /** True when the queue holds `maxsize` items. */
  full(): boolean {
    return this.count() >= this.maxsize;
  }

  /** The number of green threads (and promises) waiting in `get()`. */
  getting(): number {
    return this.getters.length;
  }

  /** The number of green threads (and promises) waiting in `put()`. */
  putting(): number {
    return this.putters.length;
  }

  /** The next item `get()` would return, without removing it; undefined when empty. */
  peek(): T | undefined {
    return this.first();
  }

  /** True when `get()` would not block (an item is in the queue): what `rawlink` waits for. */
  ready(): boolean {
    return this.count() > 0;
  }

  /**
   * See {@link Linkable.rawlink}: `callback(this)` once an item is in the
   * queue (one that no blocked getter took). The callback only learns that
   * an item is there: another caller may take it first.
   */
  rawlink(callback: LinkCallback<Queue<T>>): void {
    this.readiness.rawlink(callback, this.count() > 0);
  }

  /** Removes a callback added with `rawlink()`. */
  unlink(callback: LinkCallback<Queue<T>>): void {
    this.readiness.unlink(callback);
  }

  private enter(item: T): void {
    this.store(item);
    this.added();
    // Waiting getters exist only while the queue was empty: serve them.
    while (this.getters.length > 0 && this.count() > 0) {
      const item = this.remove();
      (this.getters.shift() as Waiter<T>).resume(item);
    }
    if (this.count() > 0) this.readiness.callLinks();
  }

  private remove(): T {
    const item = this.take();
    // A slot is free: the first waiting putter's item goes in.
    if (this.putters.length > 0 && this.count() < this.maxsize) {
      const p = this.putters.shift() as Putter<T>;
      this.store(p.item);
      this.added();
      p.wake.resume();
    }
    return item;
  }

  /**
   * Adds `item`. When the queue is full: with `block` (the default) waits
   * for room, at most `timeout` ms; otherwise (or on timeout) throws `Full`.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  put(item: T, block = true, timeout?: number): void {
    if (this.count() < this.maxsize) {
      this.enter(item);
      return;
    }
    if (!block) throw new Full();
    const r = waitIn<void, Putter<T>>(this.putters, this.what('put'), timeout, (wake) => ({ item, wake }));
    if (r === TIMED_OUT) throw new Full();
  }

  /** `put(item, false)`: adds `item` or throws `Full`. */
  putNowait(item: T): void {
    this.put(item, false);
  }

  /**
   * Removes and returns the next item. When the queue is empty: with
   * `block` (the default) waits for one, at most `timeout` ms; otherwise
   * (or on timeout) throws `Empty`.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  get(block = true, timeout?: number): T {
    if (this.count() > 0) return this.remove();
    if (!block) throw new Empty();
    const r = waitIn<T, Waiter<T>>(this.getters, this.what('get'), timeout, asWaiter);
    if (r === TIMED_OUT) throw new Empty();
    return r;
  }

  /** `get(false)`: returns the next item or throws `Empty`. */
  getNowait(): T {
    return this.get(false);
  }

  /** Like `get()`, as a promise, for code outside green threads. */
  getAsync(): Promise<T> {
    if (this.count() > 0) return Promise.resolve(this.remove());
    return new Promise<T>((resolve, reject) => {
      this.getters.push({ resume: resolve, fail: reject });
    });
  }

  /** Like `put()`, as a promise, for code outside green threads. */
  putAsync(item: T): Promise<void> {
    if (this.count() < this.maxsize) {
      this.enter(item);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.putters.push({ item, wake: { resume: resolve, fail: reject } });
    });
  }

  /** Yields items as they come, blocking the calling green thread for each. */
  *[Symbol.iterator](): Iterator<T> {
    for (;;) yield this.get();
  }

  /** Yields items as they come, awaiting each. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) yield await this.getAsync();
  }
}

/** A last-in first-out queue (a stack); otherwise like {@link Queue}. */
export class LifoQueue<T = unknown> extends Queue<T> {
  private readonly stack: T[] = [];
  /** @internal */ protected override store(item: T): void {
    this.stack.push(item);
  }
  /** @internal */ protected override take(): T {
    return this.stack.pop() as T;
  }
  /** @internal */ protected override count(): number {
    return this.stack.length;
  }
  /** @internal */ protected override first(): T | undefined {
    return this.stack[this.stack.length - 1];
  }
}

/**
 * The default order of {@link PriorityQueue}: numbers, strings and bigints
 * by `<`; arrays element by element (so `[priority, value]` pairs work).
 */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = defaultCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  try {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  } catch (cause) {
    // Values with no order (null-prototype objects, symbols): say so with a code.
    const error = codedError('ERR_INVALID_ARG_TYPE', `defaultCompare: ${describeValue(a)} and ${describeValue(b)} cannot be ordered; give the queue a compare function`, TypeError);
    (error as Error).cause = cause;
    throw error;
  }
}

/**
 * A queue that returns its smallest item first (by `compare`, default
 * {@link defaultCompare}); items that compare equal come out in the order
 * they went in.
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  private readonly heap: Array<{ item: T; seq: number }> = [];
  private seq = 0;
  private readonly compare: (a: T, b: T) => number;

  /**
   * @param maxsize - an integer >= 1, or Infinity/undefined for unbounded.
   * @param compare - negative when `a` comes before `b`.
   */
  constructor(maxsize?: number | null, compare: (a: T, b: T) => number = defaultCompare) {
    super(maxsize);
    if (typeof compare !== 'function') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'The "compare" argument must be a function', TypeError);
    }
    this.compare = compare;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    const c = this.compare(a.item, b.item);
    if (typeof c !== 'number' || Number.isNaN(c)) {
      throw codedError('ERR_INVALID_RETURN_VALUE', `PriorityQueue: compare must return a number; it returned ${describeValue(c)}`, TypeError);
    }
    return c < 0 || (c === 0 && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i];
    this.heap[i] = this.heap[j];
    this.heap[j] = t;
  }

  /** @internal */ protected override store(item: T): void {
    const h = this.heap;
    const entry = { item, seq: this.seq++ };
    h.push(entry);
    let i = h.length - 1;
    try {
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.less(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
    } catch (error) {
      // compare threw: the put fails and the item is not in the queue; the
      // others stay, though their order is then only as good as compare.
      h.splice(h.indexOf(entry), 1);
      throw error;
    }
  }

  /** @internal */ protected override take(): T {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as { item: T; seq: number };
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      try {
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && this.less(l, m)) m = l;
          if (r < h.length && this.less(r, m)) m = r;
          if (m === i) break;
          this.swap(i, m);
          i = m;
        }
      } catch (error) {
        // compare threw: the get fails and nothing is lost (top goes back).
        h.push(top);
        throw error;
      }
    }
    return top.item;
  }

  /** @internal */ protected override count(): number {
    return this.heap.length;
  }

  /** @internal */ protected override first(): T | undefined {
    return this.heap.length > 0 ? this.heap[0].item : undefined;
  }
}

/**
 * A FIFO queue that also counts unfinished tasks: each `put()` adds one,
 * each `taskDone()` removes one, and `join()` blocks until none is left.
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  private unfinished = 0;
  private readonly joiners = new WaiterList<boolean, JoinableQueue<T>>(this);

  /** @internal */ protected override added(): void {
    this.unfinished++;
  }

  /** The number of items put and not yet marked done. */
  unfinishedTasks(): number {
    return this.unfinished;
  }

  /**
   * Marks one item taken with `get()` as processed.
   *
   * @throws `ERR_GREENPATCH_TASK_DONE` when called more often than items were put.
   */
  taskDone(): void {
    if (this.unfinished <= 0) {
      throw codedError('ERR_GREENPATCH_TASK_DONE', 'JoinableQueue.taskDone() called more times than there were items');
    }
    if (--this.unfinished === 0) this.joiners.notifyAll(true);
  }

  /**
   * Blocks until every item put has been marked done (returns at once when
   * none is unfinished). Returns false when `timeout` ms passed first.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  join(timeout?: number): boolean {
    if (this.unfinished === 0) return true;
    return this.joiners.wait('JoinableQueue.join()', timeout) !== TIMED_OUT;
  }
}

/**
 * An unbuffered queue (a rendezvous): `put()` blocks until a getter takes
 * the item, `get()` until a putter hands one over. `putNowait()` succeeds
 * only when a getter is waiting, `getNowait()` only when a putter is.
 * It holds no item: `qsize()` is 0, and it is always both `empty()` and `full()`.
 */
export class Channel<T = unknown> implements Iterable<T>, AsyncIterable<T>, Linkable<Channel<T>> {
  /** Always 0. */
  readonly maxsize = 0;
  private readonly getters = new Deque<Waiter<T>>();
  private readonly putters = new Deque<Putter<T>>();
  /** Only its links (see rawlink). */
  private readonly readiness = new WaiterList<void, Channel<T>>(this);

  /** Always 0: a channel holds no item. */
  qsize(): number {
    return 0;
  }
  /** Always true. */
  empty(): boolean {
    return true;
  }
  /** Always true. */
  full(): boolean {
    return true;
  }
  /** The number of getters waiting. */
  getting(): number {
    return this.getters.length;
  }
  /** The number of putters waiting. */
  putting(): number {
    return this.putters.length;
  }

  /** True when `get()` would not block (a putter is waiting): what `rawlink` waits for. */
  ready(): boolean {
    return this.putters.length > 0;
  }

  /** See {@link Linkable.rawlink}: `callback(this)` once a putter waits with an item. */
  rawlink(callback: LinkCallback<Channel<T>>): void {
    this.readiness.rawlink(callback, this.putters.length > 0);
  }

  /** Removes a callback added with `rawlink()`. */
  unlink(callback: LinkCallback<Channel<T>>): void {
    this.readiness.unlink(callback);
  }

  /**
   * Hands `item` to a getter, waiting for one (at most `timeout` ms) when
   * `block` (the default); throws `Full` when none came.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  put(item: T, block = true, timeout?: number): void {
    const getter = this.getters.shift();
    if (getter !== undefined) {
      getter.resume(item);
      return;
    }
    if (!block) throw new Full('No getter is waiting on the channel');
    const r = waitIn<void, Putter<T>>(
      this.putters,
      'Channel.put()',
      timeout,
      (wake) => ({ item, wake }),
      () => this.readiness.callLinks(),
    );
    if (r === TIMED_OUT) throw new Full('No getter took the item in time');
  }

  /** `put(item, false)`. */
  putNowait(item: T): void {
    this.put(item, false);
  }

  /**
   * Takes an item from a putter, waiting for one (at most `timeout` ms) when
   * `block` (the default); throws `Empty` when none came.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  get(block = true, timeout?: number): T {
    const putter = this.putters.shift();
    if (putter !== undefined) {
      putter.wake.resume();
      return putter.item;
    }
    if (!block) throw new Empty('No putter is waiting on the channel');
    const r = waitIn<T, Waiter<T>>(this.getters, 'Channel.get()', timeout, asWaiter);
    if (r === TIMED_OUT) throw new Empty('No putter came in time');
    return r;
  }

  /** `get(false)`. */
  getNowait(): T {
    return this.get(false);
  }

  /** Like `get()`, as a promise, for code outside green threads. */
  getAsync(): Promise<T> {
    const putter = this.putters.shift();
    if (putter !== undefined) {
      putter.wake.resume();
      return Promise.resolve(putter.item);
    }
    return new Promise<T>((resolve, reject) => {
      this.getters.push({ resume: resolve, fail: reject });
    });
  }

  /** Like `put()`, as a promise that resolves once a getter took the item. */
  putAsync(item: T): Promise<void> {
    const getter = this.getters.shift();
    if (getter !== undefined) {
      getter.resume(item);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.putters.push({ item, wake: { resume: resolve, fail: reject } });
      this.readiness.callLinks();
    });
  }

  /** Yields items as putters hand them over, blocking the calling green thread. */
  *[Symbol.iterator](): Iterator<T> {
    for (;;) yield this.get();
  }

  /** Yields items as putters hand them over, awaiting each. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) yield await this.getAsync();
  }
}
