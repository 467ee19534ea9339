// Semaphore, BoundedSemaphore and RLock for green threads.
import { checkCount, checkMs, codedError, TimeoutError } from './errors.js';
import { currentTaskOrUndefined, requireTask, TIMED_OUT } from './hub.js';
import { WaiterList } from './linkable.js';

/** What `hold()` returns: releases what it holds when disposed (`using`), once. */
export interface Held extends Disposable {
  /** Releases (the same as disposing). Calling it again does nothing. */
  release(): void;
}

function holder(release: () => void): Held {
  let held = true;
  const free = () => {
    if (!held) return;
    held = false;
    release();
  };
  return { release: free, [Symbol.dispose]: free };
}

/**
 * A counting semaphore: `acquire()` takes one of its permits, blocking while
 * there are none; `release()` gives one back. Waiters are served in order,
 * and a released permit goes straight to the first of them.
 *
 * @example
 * ```js
 * const sem = new Semaphore(2); // at most two threads at a time
 * spawn(() => { using _ = sem.hold(); fetchSomething(); });
 * ```
 */
export class Semaphore {
  /** @internal */ protected counter: number;
  /** @internal */ protected readonly waiters = new WaiterList<boolean, Semaphore>(this);

  /** @param value - the number of permits, an integer >= 0 (default 1). */
  constructor(value = 1) {
    this.counter = checkCount('value', value, 0);
  }

  /** The number of permits available now. */
  get value(): number {
    return this.counter;
  }

  /** True when no permit is available (`acquire()` would block). */
  locked(): boolean {
    return this.counter === 0;
  }

  /** The number of green threads blocked in `acquire()`. */
  waiting(): number {
    return this.waiters.waiting;
  }

  /**
   * Takes a permit. Returns true once it has one; false when `blocking` is
   * false and none is free, or when `timeout` ms passed first.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  acquire(blocking = true, timeout?: number): boolean {
    if (this.counter > 0) {
      this.counter--;
      return true;
    }
    if (!blocking) return false;
    // A permit handed over by release() is ours even if we are interrupted
    // later: the interruption waits for our next blocking call.
    return this.waiters.wait(`${this.constructor.name}.acquire()`, timeout) !== TIMED_OUT;
  }

  /** Gives a permit back, to the first waiter if there is one. Never blocks. */
  release(): void {
    if (!this.waiters.wakeOne(true)) this.counter++;
  }

  /**
   * Acquires a permit (blocking, at most `timeout` ms, then `TimeoutError`)
   * and returns a disposable that releases it: `using _ = sem.hold();`.
   */
  hold(timeout?: number): Held {
    if (!this.acquire(true, timeout)) {
      throw new TimeoutError(`${this.constructor.name}.hold() timed out after ${timeout} ms`);
    }
    return holder(() => this.release());
  }
}

/**
 * A semaphore that refuses to be released more often than acquired:
 * `release()` beyond its initial value throws `ERR_GREENPATCH_SEMAPHORE_RELEASED`.
 */
export class BoundedSemaphore extends Semaphore {
  /** The initial (and highest) number of permits. */
  readonly bound: number;

  /** @param value - the number of permits, an integer >= 0 (default 1). */
  constructor(value = 1) {
    super(value);
    this.bound = value;
  }

  /** @throws `ERR_GREENPATCH_SEMAPHORE_RELEASED` when all permits are already free. */
  override release(): void {
    if (this.waiters.waiting === 0 && this.counter >= this.bound) {
      throw codedError('ERR_GREENPATCH_SEMAPHORE_RELEASED', 'BoundedSemaphore released too many times');
    }
    super.release();
  }
}

const HUB_OWNER = { name: 'hub' };

/**
 * A reentrant lock: the green thread holding it may acquire it again; it is
 * free once released as many times as acquired. Only the holder may release
 * it. Code on the hub counts as one owner of its own.
 */
export class RLock {
  private owner: unknown = undefined;
  private count = 0;
  private readonly sem = new Semaphore(1);

  /**
   * Acquires the lock (again, when the caller holds it). Returns false when
   * `blocking` is false and another thread holds it, or after `timeout` ms.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` when it would block outside a green thread.
   */
  acquire(blocking = true, timeout?: number): boolean {
    const me = currentTaskOrUndefined() ?? HUB_OWNER;
    if (this.owner === me) {
      this.count++;
      return true;
    }
    if (!this.sem.locked() || !blocking) {
      if (!this.sem.acquire(false)) return false;
    } else {
      if (timeout !== undefined) checkMs('timeout', timeout);
      requireTask('RLock.acquire()');
      if (!this.sem.acquire(true, timeout)) return false;
    }
    this.owner = me;
    this.count = 1;
    return true;
  }

  /**
   * Releases the lock once.
   *
   * @throws `ERR_GREENPATCH_LOCK_NOT_OWNED` when the caller does not hold it.
   */
  release(): void {
    const me = currentTaskOrUndefined() ?? HUB_OWNER;
    if (this.owner !== me || this.count === 0) {
      throw codedError(
        'ERR_GREENPATCH_LOCK_NOT_OWNED',
        this.owner === undefined ? 'RLock.release() of an unlocked lock' : 'RLock.release() by a thread that does not hold it',
      );
    }
    if (--this.count === 0) {
      this.owner = undefined;
      this.sem.release();
    }
  }

  /** True when some thread holds the lock. */
  locked(): boolean {
    return this.owner !== undefined;
  }

  /** True when the calling thread holds the lock. */
  isOwned(): boolean {
    return this.owner !== undefined && this.owner === (currentTaskOrUndefined() ?? HUB_OWNER);
  }

  /** Acquires the lock (at most `timeout` ms, then `TimeoutError`) and returns a disposable that releases it. */
  hold(timeout?: number): Held {
    if (!this.acquire(true, timeout)) {
      throw new TimeoutError(`RLock.hold() timed out after ${timeout} ms`);
    }
    return holder(() => this.release());
  }
}
