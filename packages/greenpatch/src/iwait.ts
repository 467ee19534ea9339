// Waiting on many objects at once, as gevent's wait() and iwait(): green
// threads, Events, AsyncResults, queues and promises, each yielded as it
// becomes ready. Built on the rawlink protocol (linkable.ts), so waiting
// takes nothing from the objects: a queue is reported ready, its item stays
// in it for the caller's get().
import { codedError, checkCount, checkMs } from './errors.js';
import { blockOn, requireTask, TIMED_OUT, type Waker } from './hub.js';
import type { Linkable } from './linkable.js';

/** What {@link iwait} and {@link waitReady} can wait on: anything with the rawlink protocol, or a promise. */
export type Waitable = Linkable<any> | PromiseLike<unknown>;

/** Options of {@link iwait} and {@link waitReady}. */
export interface IwaitOptions {
  /** Milliseconds for the whole wait; when they pass, the iteration ends with what was ready by then. */
  timeout?: number;
  /** Stop after this many objects were ready (default: all of them). */
  count?: number;
}

function isLinkable(value: unknown): value is Linkable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Linkable<unknown>).rawlink === 'function' &&
    typeof (value as Linkable<unknown>).unlink === 'function'
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** Checks the arguments eagerly, so that a bad call throws where it is made, not at the first next(). */
function checkArguments<O>(objects: Iterable<O>, options: IwaitOptions | undefined): { list: O[]; count: number; timeout: number | undefined } {
  if (objects === null || typeof (objects as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "objects" argument must be an iterable of waitable objects', TypeError);
  }
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "options" argument must be an object', TypeError);
  }
  // Each object once, in the order given.
  const list = [...new Set(objects)];
  for (const object of list) {
    if (!isLinkable(object) && !isThenable(object)) {
      throw codedError(
        'ERR_INVALID_ARG_TYPE',
        'Every object waited on must be a green thread, Event, AsyncResult, queue (anything with rawlink/unlink) or a promise',
        TypeError,
      );
    }
  }
  const timeout = options?.timeout === undefined ? undefined : checkMs('timeout', options.timeout);
  const count = options?.count === undefined ? list.length : Math.min(checkCount('count', options.count, 0), list.length);
  return { list, count, timeout };
}

/**
 * Yields each of `objects` as it becomes ready, in the order they do
 * (gevent's `iwait`): a green thread once it has finished, an Event once
 * set, an AsyncResult once it holds a value or an error, a queue once
 * `get()` would not block, a promise once settled. Objects ready already
 * come first, in the order given. Blocks only the calling green thread
 * between objects.
 *
 * Nothing is taken from the objects: a queue yielded still holds its item
 * (call `get()`), a promise yielded is settled (pass it to `wait()` for its
 * value). The iteration ends once every object was yielded, after
 * `options.count` objects, or when `options.timeout` ms have passed since
 * the call; ending it early (`break`) withdraws every subscription.
 *
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments (at
 * the call); ERR_GREENPATCH_BLOCKING_ON_HUB when iterated outside a green
 * thread while something is still to wait for.
 *
 * @example
 * ```js
 * for (const thread of iwait(threads)) console.log(thread.value);
 * ```
 */
export function iwait<O extends Waitable>(objects: Iterable<O>, options?: IwaitOptions): Generator<O, void, undefined> {
  const { list, count, timeout } = checkArguments(objects, options);
  return waitGenerator(list, count, timeout);
}

function* waitGenerator<O extends Waitable>(list: O[], count: number, timeout: number | undefined): Generator<O, void, undefined> {
  if (count === 0) return;
  const deadline = timeout === undefined || timeout === Infinity ? Infinity : Date.now() + timeout;
  const readyOnes: O[] = [];
  let next = 0;
  let waker: Waker<void> | undefined;
  let live = true;
  const onReady = (object: O): void => {
    if (!live) return;
    readyOnes.push(object);
    const w = waker;
    waker = undefined;
    w?.resume();
  };
  // Promise reactions cannot be withdrawn: each ignores a late settle.
  const linked: Array<Linkable<unknown>> = [];
  const linkCallback = onReady as (object: unknown) => void;
  try {
    for (const object of list) {
      if (isLinkable(object)) {
        if (typeof object.ready === 'function' && object.ready()) {
          readyOnes.push(object);
          continue;
        }
        object.rawlink(linkCallback);
        linked.push(object);
      } else {
        Promise.resolve(object).then(
          () => onReady(object),
          () => onReady(object),
        );
      }
    }
    for (let yielded = 0; yielded < count; yielded++) {
      if (next === readyOnes.length) {
        const left = deadline - Date.now();
        if (left <= 0) return;
        const outcome = blockOn<void>(
          requireTask('iwait()'),
          'iwait()',
          (wake) => {
            waker = wake;
            return () => {
              waker = undefined;
            };
          },
          { timeout: deadline === Infinity ? undefined : left },
        );
        if (outcome === TIMED_OUT) return;
      }
      yield readyOnes[next++];
    }
  } finally {
    live = false;
    for (const object of linked) object.unlink(linkCallback);
  }
}

/**
 * Blocks until `objects` are ready (all of them, or `options.count`, or
 * until `options.timeout` ms pass) and returns those that are, in the order
 * they became ready (gevent's `wait(objects)`). See {@link iwait} for what
 * "ready" means for each kind of object; nothing is taken from them.
 *
 * @example
 * ```js
 * const [first] = waitReady([a, b, c], { count: 1 }); // whichever finishes first
 * ```
 */
export function waitReady<O extends Waitable>(objects: Iterable<O>, options?: IwaitOptions): O[] {
  return [...iwait(objects, options)];
}
