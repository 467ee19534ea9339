// The waiter list every waitable object is built on, as gevent builds its
// Event, AsyncResult and Semaphore on AbstractLinkable: green threads block
// on it (with an optional timeout, withdrawn when interrupted), and callbacks
// subscribe to it without blocking (rawlink), each called once when the
// object becomes ready. Event, AsyncResult, Semaphore (and so RLock),
// GreenThread's wait(), GreenPool's waitAll(), the queues' blocking get/put
// and JoinableQueue's join() all wait here.
import { reportError, type ReportedThread } from './error-handler.js';
import { checkFunction, checkMs } from './errors.js';
import { Deque } from './deque.js';
import { blockOn, requireTask, Task, TIMED_OUT, type Waker } from './hub.js';

/** A callback subscribed with `rawlink()`: called once, with the object that became ready. */
export type LinkCallback<O> = (source: O) => void;

/**
 * What a waitable object offers a caller that must not block (gevent's
 * rawlink protocol): whether it is ready now, and a one-shot callback for
 * when it becomes ready. Implemented by GreenThread (ready: finished),
 * Event (ready: set), AsyncResult (ready: a value or error stored) and the
 * queues (ready: `get()` would not block).
 */
export interface Linkable<O> {
  /** True when a wait on it would return at once. */
  ready(): boolean;
  /**
   * Calls `callback(this)` once, when it becomes ready: from within the call
   * that makes it ready (so `callback` must not block), or on a later hub
   * turn when it is ready already. Errors it throws go to the error handler.
   */
  rawlink(callback: LinkCallback<O>): void;
  /** Removes a callback added with `rawlink()` that has not been called yet (one, if added twice). */
  unlink(callback: LinkCallback<O>): void;
}

/**
 * @internal Blocks the current green thread (`what` names the call in
 * errors) as an entry of `list` made from its waker, at most `timeout` ms
 * (undefined: no limit). The entry leaves the list when the wait is
 * interrupted or times out; whoever wakes it takes it off. `queued` is
 * called once the entry is in the list. Returns the value the waker was
 * resumed with, or TIMED_OUT.
 *
 * @throws ERR_OUT_OF_RANGE for a bad timeout; ERR_GREENPATCH_BLOCKING_ON_HUB outside a green thread.
 */
export function waitIn<T, E>(
  list: Deque<E>,
  what: string,
  timeout: number | undefined,
  entryFor: (wake: Waker<T>) => E,
  queued?: () => void,
): T | typeof TIMED_OUT {
  if (timeout !== undefined) checkMs('timeout', timeout);
  const task = requireTask(what);
  return blockOn<T>(
    task,
    what,
    (wake) => {
      const entry = entryFor(wake);
      list.push(entry);
      queued?.();
      return () => {
        list.remove(entry);
      };
    },
    { timeout },
  );
}

const asIs = <T>(wake: Waker<T>): Waker<T> => wake;

/**
 * @internal The waiters of one object: green threads blocked until it is
 * notified (served first come, first served) and the callbacks linked to it.
 * `O` is what the callbacks receive (the object owning the list).
 */
export class WaiterList<T, O = unknown> {
  // Made on first wait: most lists of green threads and pool slots only
  // ever hold links.
  private wakers: Deque<Waker<T>> | undefined = undefined;
  private links: Array<LinkCallback<O>> | undefined = undefined;
  /** Linked while the owner was ready: called on the next hub turn. */
  private due: Array<LinkCallback<O>> | undefined = undefined;

  constructor(private readonly owner: O) {}

  /** The number of green threads blocked in {@link wait}. */
  get waiting(): number {
    return this.wakers === undefined ? 0 : this.wakers.length;
  }

  /** Blocks until notified with a value (returned), or `timeout` ms (TIMED_OUT). */
  wait(what: string, timeout: number | undefined): T | typeof TIMED_OUT {
    return waitIn<T, Waker<T>>((this.wakers ??= new Deque<Waker<T>>()), what, timeout, asIs);
  }

  /** Wakes the longest-waiting thread with `value`; false when none waits. */
  wakeOne(value: T): boolean {
    const waker = this.wakers?.shift();
    if (waker === undefined) return false;
    waker.resume(value);
    return true;
  }

  /** Wakes every waiting thread with `value`, then calls the linked callbacks. */
  notifyAll(value: T): void {
    const wakers = this.wakers;
    if (wakers !== undefined) for (let waker = wakers.shift(); waker !== undefined; waker = wakers.shift()) waker.resume(value);
    this.callLinks();
  }

  /** Calls (and forgets) the linked callbacks, in the order they were linked. */
  callLinks(): void {
    this.callDue();
    const links = this.links;
    if (links === undefined) return;
    this.links = undefined;
    for (const callback of links) this.call(callback);
  }

  private callDue(): void {
    const due = this.due;
    if (due === undefined) return;
    this.due = undefined;
    for (const callback of due) this.call(callback);
  }

  /**
   * Links `callback`. With `readyNow` (the owner is ready already) it is
   * called on the next hub turn instead, unless unlinked meanwhile.
   */
  rawlink(callback: LinkCallback<O>, readyNow: boolean): void {
    checkFunction('callback', callback);
    if (!readyNow) {
      (this.links ??= []).push(callback);
      return;
    }
    if (this.due === undefined) {
      this.due = [];
      setImmediate(() => this.callDue());
    }
    this.due.push(callback);
  }

  /** Removes one linked `callback`; true when it was there. */
  unlink(callback: LinkCallback<O>): boolean {
    return removeOne(this.links, callback) || removeOne(this.due, callback);
  }

  private call(callback: LinkCallback<O>): void {
    try {
      callback(this.owner);
    } catch (error) {
      // A green thread's callbacks are reported as its own.
      reportError(error, this.owner instanceof Task ? (this.owner as unknown as ReportedThread) : undefined);
    }
  }
}

function removeOne<T>(list: T[] | undefined, item: T): boolean {
  const i = list === undefined ? -1 : list.indexOf(item);
  if (i < 0) return false;
  list!.splice(i, 1);
  return true;
}
