// Green threads: spawning, waiting, killing, linking, sleeping.
import Fiber = require('@greenpatch/fibers');
import { inspect } from 'node:util';
import { reportError, reportUnwaitedError, unwaitedErrorsAreFatal } from './error-handler.js';
import { checkFunction, checkMs, codedError, GreenThreadExit, TimeoutError } from './errors.js';
import {
  armResume,
  blockOn,
  currentTaskOrUndefined,
  enqueue,
  interrupt,
  requireTask,
  Task,
  TaskState,
  TIMED_OUT,
  yieldTurn,
} from './hub.js';
import { WaiterList, type LinkCallback, type Linkable } from './linkable.js';
import { addLive, removeLive, type LiveLinks } from './live-threads.js';
import type { GreenPool } from './pool.js';
import { exitChannel, killChannel, spawnChannel } from './thread-channels.js';
import { startTimer } from './timer.js';

/** @internal A function's name for a default thread name: '' when it has none (or a strange one). */
export function labelOf(fn: Function): string {
  try {
    const name = fn.name;
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}

let threadCount = 0;

/** What is left to report of an unobserved thread's error once the thread is gone. */
interface Unreported {
  error: unknown;
  thread: { name: string };
}

// A spawn()ed thread's error is the business of whoever holds its handle
// and may still wait() for it: it is reported only when that can no longer
// happen, i.e. when the handle is garbage collected, or when the process
// exits, without anyone having waited for or linked to the thread.
const unreported = new Set<WeakRef<GreenThread<any>>>();
const collected = new FinalizationRegistry<Unreported>((u) => reportUnwaitedError(u.error, u.thread));
let exitHooked = false;

function reportAtExit(): void {
  for (const ref of unreported) {
    const thread = ref.deref();
    if (thread !== undefined) thread.reportIfUnobserved();
  }
  unreported.clear();
}

/** Under the 'fatal' policy, when the event loop runs dry: nobody can wait any more. */
function raiseWhenDrained(): void {
  if (unreported.size > 0 && unwaitedErrorsAreFatal()) reportAtExit();
}

/** sleep(ms) and wait(promise) resume from their own timer or reaction: switch in right there. */
const SWITCH_NOW = { switchNow: true };

/**
 * A green thread: a function running on a stack of its own, switched in and
 * out by the hub at its blocking calls. Created by {@link spawn} (or
 * {@link spawnAfter}); not constructed directly.
 *
 * @typeParam T - what the function returns.
 */
export class GreenThread<T = unknown> extends Task implements Linkable<GreenThread<T>>, LiveLinks {
  /** Its number, which the default name carries. */
  private readonly serial: number;
  /** A name given to it; the default is made only when asked for. */
  private givenName: string | undefined = undefined;
  /** @internal Its function's name ('' for an anonymous one): the default name. */
  readonly label: string;
  /** @internal The id of the green thread that created it (0: the hub), for run info. */
  readonly spawnerId: number;
  /** @internal That thread's name when it created this one. */
  readonly spawnerName: string | undefined;
  /** @internal The GreenPool it runs in, if any. */
  readonly pool: GreenPool | undefined;
  /** @internal The live-thread registry's links (live-threads.ts). */
  liveNext: LiveLinks | undefined = undefined;
  /** @internal */ livePrev: LiveLinks | undefined = undefined;
  private fn: ((...args: any[]) => T) | undefined;
  private args: unknown[] | undefined;
  private result: T | undefined = undefined;
  private error: unknown = undefined;
  private failed = false;
  private ran = false;
  /** @internal Someone waited for or linked to it: its error is theirs to handle. */
  private observed = false;
  /** @internal Set while its error awaits collection or exit to be reported. */
  private unreportedRef: WeakRef<GreenThread<T>> | undefined = undefined;
  /** @internal spawnN threads: nobody can wait for them, so errors are reported at once. */
  readonly detached: boolean;
  private links: Array<(thread: GreenThread<T>) => void> | undefined = undefined;
  /** Threads blocked in wait() and rawlinked callbacks; made on first use (most threads have neither). */
  private exit: WaiterList<void, GreenThread<T>> | undefined = undefined;

  /**
   * @internal Use spawn(). `named` is the function whose name is the
   * default name (`fn` unless it only calls the one that matters).
   */
  constructor(fn: (...args: any[]) => T, args: unknown[], detached: boolean, pool?: GreenPool, named: Function = fn) {
    super();
    this.fn = fn;
    this.args = args;
    this.detached = detached;
    this.serial = ++threadCount;
    this.label = labelOf(named);
    this.pool = pool;
    // The spawner is remembered by id and name, not held: a thread must
    // not keep a finished spawner (and its result) alive.
    const spawner = currentTaskOrUndefined() as GreenThread | undefined;
    if (spawner === undefined) {
      this.spawnerId = 0;
      this.spawnerName = undefined;
    } else {
      this.spawnerId = spawner.serial;
      this.spawnerName = spawner.givenName ?? spawner.label;
    }
    addLive(this);
    if (spawnChannel.hasSubscribers) spawnChannel.publish({ thread: this, spawnedBy: spawner });
  }

  /** A number for the thread, unique in the process (1 for the first thread created). */
  get id(): number {
    return this.serial;
  }

  /**
   * A name for messages and debugging. Writable; by default the name of its
   * function (`spawn(function fetchPage() {...})` is `fetchPage`), or
   * `GreenThread-<id>` for an anonymous function.
   */
  get name(): string {
    return this.givenName ?? (this.label !== '' ? this.label : `GreenThread-${this.serial}`);
  }

  set name(value: string) {
    this.givenName = value;
  }

  /** @internal The body, on the thread's own fiber. */
  run(): void {
    const fn = this.fn as (...args: unknown[]) => T;
    const args = this.args as unknown[];
    this.ran = true;
    this.fn = undefined;
    this.args = undefined;
    try {
      // Most threads take no argument or one (a listener's call): spare the spread.
      if (args.length === 0) this.result = fn();
      else if (args.length === 1) this.result = fn(args[0]);
      else this.result = fn(...args);
    } catch (error) {
      // A reset of the fiber (its object was collected) must unwind it.
      if (error instanceof Fiber.ResetError) throw error;
      this.failed = true;
      this.error = error;
    }
  }

  private exitList(): WaiterList<void, GreenThread<T>> {
    return (this.exit ??= new WaiterList<void, GreenThread<T>>(this));
  }

  /** @internal On the hub, once the thread has finished. */
  exited(failed: boolean, error?: unknown): void {
    this.fn = undefined;
    this.args = undefined;
    if (failed) {
      this.failed = true;
      this.error = error;
    }
    removeLive(this);
    if (exitChannel.hasSubscribers) {
      exitChannel.publish({ thread: this, successful: !this.failed, error: this.failed ? this.error : undefined });
    }
    const exit = this.exit;
    this.exit = undefined;
    if (exit !== undefined) exit.notifyAll(undefined);
    const links = this.links;
    this.links = undefined;
    if (links !== undefined) for (const fn of links) this.callLink(fn);
    if (this.failed && !(this.error instanceof GreenThreadExit) && !this.observed) {
      if (this.detached) {
        reportUnwaitedError(this.error, this);
      } else {
        // Formatting the stack now drops V8's captured frames, whose
        // receivers include this thread: the held value must not keep the
        // thread it is registered for alive.
        try {
          void (this.error as { stack?: unknown } | null)?.stack;
        } catch {
          // a throwing stack getter: nothing to drop
        }
        const ref = new WeakRef(this);
        this.unreportedRef = ref;
        unreported.add(ref);
        collected.register(this, { error: this.error, thread: { name: this.name } }, ref);
        if (!exitHooked) {
          exitHooked = true;
          process.once('exit', reportAtExit);
          // Fatal errors are raised while the process can still handle them.
          process.on('beforeExit', raiseWhenDrained);
        }
      }
    }
  }

  /** @internal Waiting for or linking to a thread makes its error the caller's to handle. */
  markObserved(): void {
    this.observed = true;
    const ref = this.unreportedRef;
    if (ref !== undefined) {
      this.unreportedRef = undefined;
      unreported.delete(ref);
      collected.unregister(ref);
    }
  }

  /** @internal At exit: reports the thread's error if nobody has handled it. */
  reportIfUnobserved(): void {
    if (this.unreportedRef === undefined) return;
    this.markObserved();
    reportUnwaitedError(this.error, this);
  }

  private callLink(fn: (thread: GreenThread<T>) => void): void {
    try {
      fn(this);
    } catch (error) {
      reportError(error, this);
    }
  }

  /**
   * Blocks until the thread has finished, then returns what its function
   * returned or throws what it threw (a thread ended by `kill()` throws the
   * kill's error, `GreenThreadExit` by default). On a finished thread it
   * returns at once, even on the hub. Waiting counts as handling its error:
   * it is then not reported to the error handler.
   *
   * @param timeout - milliseconds to wait at most; then a `TimeoutError` is thrown.
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` on the hub when the thread has not finished;
   *   `ERR_GREENPATCH_WAIT_SELF` when a thread waits for itself.
   */
  wait(timeout?: number): T {
    this.markObserved();
    if (this.state !== TaskState.Done) {
      if (currentTaskOrUndefined() === this) {
        throw codedError('ERR_GREENPATCH_WAIT_SELF', 'A green thread cannot wait for itself');
      }
      const r = this.exitList().wait('GreenThread.wait()', timeout);
      if (r === TIMED_OUT) {
        throw new TimeoutError(`GreenThread.wait() timed out after ${timeout} ms`);
      }
    }
    if (this.failed) throw this.error;
    return this.result as T;
  }

  /**
   * Raises `error` (a new `GreenThreadExit` by default) inside the thread at
   * its blocking point, so that its `finally` blocks run; a thread that has
   * not started yet never runs. Does not wait: the thread handles the error
   * on a later hub turn (`wait()` for it to finish). A thread killing itself
   * gets the error thrown right away. Killing a finished thread does nothing.
   * When the thread's blocking call has already been woken with its result,
   * the error is raised at its next blocking call instead.
   */
  kill(error: unknown = new GreenThreadExit()): void {
    if (killChannel.hasSubscribers && this.state !== TaskState.Done) {
      killChannel.publish({ thread: this, error, killedBy: getCurrent() });
    }
    interrupt(this, error, this);
  }

  /**
   * Cancels a thread that has not started yet (e.g. from `spawnAfter`):
   * returns true if it was cancelled (it then ended with `GreenThreadExit`),
   * false if it had already started.
   */
  cancel(): boolean {
    if (this.state !== TaskState.New) return false;
    this.kill();
    return true;
  }

  /**
   * Calls `fn(thread)` on the hub when the thread finishes (on a later hub
   * turn if it already has). Linking counts as handling its error. Errors
   * thrown by `fn` go to the error handler.
   */
  link(fn: (thread: GreenThread<T>) => void): void {
    checkFunction('fn', fn);
    this.markObserved();
    if (this.state === TaskState.Done) {
      setImmediate(() => this.callLink(fn));
    } else {
      (this.links ??= []).push(fn);
    }
  }

  /**
   * Removes a function added with `link()` or `rawlink()` that has not been
   * called yet (each call removes one).
   */
  unlink(fn: (thread: GreenThread<T>) => void): void {
    if (this.exit?.unlink(fn) === true) return;
    const links = this.links;
    const i = links === undefined ? -1 : links.indexOf(fn);
    if (i >= 0) links!.splice(i, 1);
  }

  /**
   * See {@link Linkable.rawlink}: calls `callback(thread)` once the thread
   * has finished, from the hub right as it finishes (before the `link()`
   * callbacks), or on a later hub turn when it has already. Unlike `link()`,
   * it does not count as handling the thread's error. `callback` must not block.
   */
  rawlink(callback: LinkCallback<GreenThread<T>>): void {
    this.exitList().rawlink(callback, this.state === TaskState.Done);
  }

  /** True once the thread has finished (returned, thrown, or was killed). */
  get dead(): boolean {
    return this.state === TaskState.Done;
  }

  /** True once the thread has finished: the same as `dead`, as a method (gevent's `ready()`). */
  ready(): boolean {
    return this.state === TaskState.Done;
  }

  /** True when the thread has finished by returning (not by throwing or being killed). */
  successful(): boolean {
    return this.state === TaskState.Done && !this.failed;
  }

  /** True once the thread's function has started running. */
  get started(): boolean {
    return this.ran;
  }

  /** What the function returned, once it has; undefined before and on failure. */
  get value(): T | undefined {
    return this.failed ? undefined : this.result;
  }

  /** What ended the thread (its error, or the kill's error); undefined if it has not or returned. */
  get exception(): unknown {
    return this.failed ? this.error : undefined;
  }

  /** What the thread is blocked in now (e.g. `"sleep()"`), if it is blocked. */
  get blockedIn(): string | undefined {
    return this.state === TaskState.Blocked ? this.blockedOn : undefined;
  }

  /** @override */
  override toString(): string {
    return `GreenThread(${this.name})`;
  }

  /**
   * What `util.inspect()` (and `console.log`) show: the thread's id, name,
   * state and, as they apply, what it is blocked in and since when, who
   * spawned it, its pool, its value or error.
   */
  [inspect.custom](depth: number, options: import('node:util').InspectOptionsStylized, inspectFn: typeof inspect): string {
    // run-info.js is loaded when a thread is first inspected, not at start-up.
    const { inspectThread } = require('./run-info.js') as typeof import('./run-info.js');
    return inspectThread(this, depth, options, inspectFn);
  }
}

function create<T>(fn: (...args: any[]) => T, args: unknown[], detached: boolean, pool?: GreenPool): GreenThread<T> {
  checkFunction('fn', fn);
  const thread = new GreenThread<T>(fn, args, detached, pool);
  // The thread starts in the async context (AsyncLocalStorage) of its spawner.
  armResume(thread);
  return thread;
}

/**
 * Starts `fn(...args)` in a new green thread and returns its handle. The
 * thread starts on a later hub turn, not inside `spawn()`; callable from
 * the hub and from green threads alike. Its AsyncLocalStorage context is the
 * spawner's.
 *
 * @example
 * ```js
 * const t = spawn((a, b) => { sleep(10); return a + b; }, 1, 2);
 * spawn(() => console.log(t.wait())); // 3
 * ```
 */
export function spawn<A extends unknown[], T>(fn: (...args: A) => T, ...args: A): GreenThread<T> {
  const thread = create(fn, args, false);
  enqueue(thread);
  return thread;
}

/**
 * Like {@link spawn} but returns nothing: for fire-and-forget work. An error
 * that ends such a thread always goes to the error handler.
 */
export function spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
  enqueue(create(fn, args, true));
}

/** @internal spawn()/spawnN() with the handle, for pools. */
export function spawnThread<T>(fn: (...args: any[]) => T, args: unknown[], detached: boolean, pool?: GreenPool): GreenThread<T> {
  const thread = create(fn, args, detached, pool);
  enqueue(thread);
  return thread;
}

/**
 * Starts `fn(...args)` in a new green thread after `ms` milliseconds.
 * `cancel()` (or `kill()`) on the returned handle before then stops it from
 * ever running.
 */
export function spawnAfter<A extends unknown[], T>(ms: number, fn: (...args: A) => T, ...args: A): GreenThread<T> {
  checkMs('ms', ms);
  const thread = create(fn, args, false);
  thread.undo = startTimer(ms, () => {
    thread.undo = undefined;
    if (thread.state === TaskState.New) enqueue(thread);
  });
  return thread;
}

/**
 * Suspends the current green thread for `ms` milliseconds. `sleep(0)` (the
 * default) yields to every other green thread that is ready and lets the
 * event loop poll for I/O and run timers before this thread continues.
 *
 * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` outside a green thread.
 */
export function sleep(ms = 0): void {
  checkMs('ms', ms);
  if (ms === 0) {
    yieldTurn(requireTask('sleep()'), 'sleep()');
    return;
  }
  blockOn<void>(requireTask('sleep()'), 'sleep()', (wake) => startTimer(ms, () => wake.resume()), SWITCH_NOW);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Blocks the current green thread until `promise` settles, then returns its
 * value or throws its rejection reason: the bridge from any promise-based
 * API to synchronous style. A value that is not a thenable is returned as
 * it is (after yielding once, like `await`). Like `await`, it resumes the
 * thread from the promise's reaction: a loop that only waits on promises
 * that are already settled never lets the event loop poll for I/O (call
 * `sleep(0)` in such a loop).
 *
 * @example
 * ```js
 * spawn(() => {
 *   const text = wait(fs.promises.readFile('/etc/hostname', 'utf8'));
 *   console.log(text);
 * });
 * ```
 * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` outside a green thread.
 */
export function wait<T>(promise: PromiseLike<T> | T): T {
  return blockOn<T>(
    requireTask('wait()'),
    'wait()',
    (wake) => {
      const p = isThenable(promise) ? Promise.resolve(promise) : Promise.resolve(promise as T);
      p.then(
        (value) => wake.resume(value as T),
        (reason) => wake.fail(reason),
      );
    },
    SWITCH_NOW,
  );
}

/** The green thread running the caller, or undefined on the hub (outside any green thread). */
export function getCurrent(): GreenThread | undefined {
  return currentTaskOrUndefined() as GreenThread | undefined;
}

/** Options of {@link joinAll}. */
export interface JoinAllOptions {
  /** Milliseconds to wait at most; then joinAll returns the threads finished so far. */
  timeout?: number;
  /**
   * When true, joinAll throws the error of the first thread it sees ended by
   * an error (not by a default kill), as soon as it sees one.
   */
  raiseError?: boolean;
}

function firstError<T>(threads: GreenThread<T>[]): { error: unknown } | undefined {
  for (const t of threads) {
    if (t.dead && !t.successful() && !(t.exception instanceof GreenThreadExit)) return { error: t.exception };
  }
  return undefined;
}

/** The threads of joinAll()/killAll() as an array; ERR_INVALID_ARG_TYPE for what is not an iterable, or options that are not an object. */
function listOfThreads<T>(what: string, threads: Iterable<GreenThread<T>>, options: unknown): GreenThread<T>[] {
  if (typeof (threads as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator] !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', `${what}() takes an iterable of GreenThread`, TypeError);
  }
  if (options === null || typeof options !== 'object') {
    throw codedError('ERR_INVALID_ARG_TYPE', `${what}(threads, options): options must be an object`, TypeError);
  }
  const list = [...threads];
  for (const t of list) {
    if (!(t instanceof GreenThread)) throw codedError('ERR_INVALID_ARG_TYPE', `${what}() takes an iterable of GreenThread`, TypeError);
  }
  return list;
}

/**
 * Blocks until every thread in `threads` has finished (or `timeout` ms have
 * passed) and returns those that have finished. Joining counts as handling
 * their errors. Returns at once, even on the hub, when all have finished.
 */
export function joinAll<T>(threads: Iterable<GreenThread<T>>, options: JoinAllOptions = {}): GreenThread<T>[] {
  const list = listOfThreads('joinAll', threads, options);
  const { timeout, raiseError = false } = options;
  if (timeout !== undefined) checkMs('timeout', timeout);
  for (const t of list) {
    if (!(t instanceof GreenThread)) {
      throw codedError('ERR_INVALID_ARG_TYPE', 'joinAll() takes an iterable of GreenThread', TypeError);
    }
    t.markObserved();
  }
  const check = () => {
    if (raiseError) {
      const failure = firstError(list);
      if (failure !== undefined) throw failure.error;
    }
  };
  check();
  let remaining = list.filter((t) => !t.dead);
  if (remaining.length > 0) {
    const task = requireTask('joinAll()');
    if (remaining.includes(task as GreenThread<T>)) {
      throw codedError('ERR_GREENPATCH_WAIT_SELF', 'A green thread cannot wait for itself');
    }
    blockOn<void>(
      task,
      'joinAll()',
      (wake) => {
        let left = remaining.length;
        const hook = (t: GreenThread<T>) => {
          left--;
          if (left === 0 || (raiseError && !t.successful() && !(t.exception instanceof GreenThreadExit))) wake.resume();
        };
        for (const t of remaining) t.rawlink(hook);
        return () => {
          for (const t of remaining) t.unlink(hook);
        };
      },
      { timeout },
    );
    remaining = [];
    check();
  }
  return list.filter((t) => t.dead);
}

/** Options of {@link killAll}. */
export interface KillAllOptions {
  /** The error to raise in each thread (default: a new `GreenThreadExit` for each). */
  error?: unknown;
  /** Block until all of them have finished (default false). */
  wait?: boolean;
  /** With `wait`, milliseconds to wait at most. */
  timeout?: number;
}

/**
 * Kills every thread in `threads` (see `GreenThread.kill()`); with
 * `{ wait: true }` blocks until they have all finished. The calling thread,
 * if among them, is killed last.
 */
export function killAll<T>(threads: Iterable<GreenThread<T>>, options: KillAllOptions = {}): void {
  const list = listOfThreads('killAll', threads, options);
  const self = getCurrent();
  const errorFor = () => ('error' in options ? options.error : new GreenThreadExit());
  for (const t of list) if (t !== self) t.kill(errorFor());
  if (options.wait === true) {
    joinAll(
      list.filter((t) => t !== self),
      { timeout: options.timeout },
    );
  }
  if (self !== undefined && list.includes(self as GreenThread<T>)) self.kill(errorFor());
}
