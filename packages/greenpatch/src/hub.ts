// The hub: Node's event loop, and the switching core every blocking call in
// greenpatch is built on. A green thread that blocks registers a
// continuation and suspends its fiber; the continuation, called later from
// an event-loop callback, makes the hub switch back into it. Wakeups never
// switch from one green thread's stack into another: they go through the
// hub's run queue, drained on a setImmediate turn, which resumes each thread
// from a promise reaction; promise reactions, timers and socket events that
// belong to the blocking call itself switch in straight from that callback
// on the hub. Either way a thread resumes in its own async context: the
// engine carries it (Node 24+), or the reaction was armed where the thread
// blocked (Node 20/22 once an async hook is enabled, see context-arming.ts).
//
// The ways to suspend a thread, each for one job:
// - block / blockOn: until a waker is called (blockOn: for a task in hand,
//   with a timeout and the option to switch in at once on wake);
// - park / wakeParked: the same without allocating, for socket reads and
//   writes, whose waiter keeps the task;
// - yieldTurn: until the hub's next turn (sleep(0)), with no waker at all;
// - interrupt: from outside, what kill() and Timeout raise at the block.
// Waiter lists over them (with timeouts, cancel, rawlink) are linkable.ts;
// fiber reuse is fiber-reuse.ts, unhandled errors error-handler.ts.
import { executionAsyncId } from 'node:async_hooks';
import Fiber = require('@greenpatch/fibers');
import { noteBlock, noteResumed, stackProbe } from './block-site.js';
import { contextNeedsArming } from './context-arming.js';
import { reportError } from './error-handler.js';
import { checkFunction, codedError, describeValue } from './errors.js';
import { fiberFor, releaseFiber, takeThreadFinished, type FiberObject } from './fiber-reuse.js';
import { startTimer } from './timer.js';
import { TurnBatch } from './turn-batch.js';

/** @internal Where a task is in its life. */
export const enum TaskState {
  /** Created; its start is queued (or timed, for spawnAfter). */
  New = 0,
  /** Its fiber is on the CPU. */
  Running = 1,
  /** Suspended in block(), waiting for its waker. */
  Blocked = 2,
  /** Woken; its resumption is queued on the hub. */
  Ready = 3,
  /** Finished (returned, threw, or was killed before it started). */
  Done = 4,
}

/**
 * The continuation handed to a `block()` registration. Call `resume(value)`
 * to make the blocked call return `value`, or `fail(error)` to make it throw
 * `error`. Only the first call counts; later ones (and calls after the
 * blocking call was interrupted by `kill()` or a `Timeout`) are ignored, so it
 * is safe to call either from several racing callbacks. They may be called
 * from anywhere (the hub, another green thread, synchronously inside the
 * registration); the green thread itself resumes on a later hub turn. Once
 * one of them has been called, the blocking call is certain to return that
 * value or throw that error: an interruption that arrives afterwards is
 * delivered at the thread's next blocking call instead, so values handed
 * over through `resume()` are never lost.
 */
export interface Waker<T> {
  /** Makes the blocking call return `value`. */
  resume(value: T): void;
  /** Makes the blocking call throw `error`. */
  fail(error: unknown): void;
  /** True until `resume()` or `fail()` has been called or the call was interrupted. */
  readonly pending: boolean;
}

/**
 * A registration for `block()`: arranges for `wake` to be called later and
 * returns a function that undoes the arrangement (remove a listener, clear a
 * timer), called when the blocking call is interrupted before `wake` fired.
 */
export type Register<T> = (wake: Waker<T>) => (() => void) | void;

/** @internal An interruption to deliver at the task's next blocking call. */
interface PendingInterrupt {
  error: unknown;
  source: unknown;
}

/**
 * @internal The hub's view of a green thread. GreenThread extends it; the
 * hub calls `run()` on the thread's own fiber and `exited()` on the hub once
 * that fiber has finished.
 */
export abstract class Task {
  /** @internal */ state: TaskState = TaskState.New;
  /** @internal */ fiber: FiberObject | undefined = undefined;
  /** @internal The waker of the blocking call in progress. */
  waker: WakerImpl<any> | undefined = undefined;
  /** @internal Undoes the registration of the blocking call in progress. */
  undo: (() => void) | void = undefined;
  /**
   * @internal For a {@link park}ed wait: undoes it, called with `undoArg`
   * (a function of the waiter's, so that parking allocates nothing).
   */
  undoWith: ((arg: any) => void) | undefined = undefined;
  /** @internal */ undoArg: unknown = undefined;
  /** @internal What the thread is blocked in (e.g. "sleep()"), for messages and debugging. */
  blockedOn: string | undefined = undefined;
  /**
   * @internal Date.now() when it blocked (block-site.ts). NaN until then:
   * a number that is not a small integer from the start, so that V8 never
   * has to change the field's representation (and migrate every thread
   * object) at the first block.
   */
  blockedSince = NaN;
  /**
   * @internal Resolves the promise whose reaction switches the thread back
   * in; armed where the thread blocked (or was spawned), so that the
   * reaction, and the thread, run in the async context current there.
   */
  kick: (() => void) | undefined = undefined;
  /** @internal */ resumeValue: unknown = undefined;
  /** @internal */ resumeThrows = false;
  /** @internal */ pending: PendingInterrupt | undefined = undefined;
  /** @internal executionAsyncId() when the hub last switched the thread in. */
  entryAsyncId = 0;

  /** @internal The thread's body; runs on its fiber. Must not throw. */
  abstract run(): void;
  /**
   * @internal Called on the hub after the fiber finished (`failed` when the
   * engine ended it with `error`), or when killed before starting.
   */
  abstract exited(failed: boolean, error?: unknown): void;
}

/** @internal */
export class WakerImpl<T> implements Waker<T> {
  /** @internal Set once resumed, failed or interrupted. */
  done = false;
  /** @internal Called when the waker fires (e.g. clears a timeout's timer). */
  onFire: (() => void) | undefined = undefined;
  /** @param switchNow - see {@link BlockOptions.switchNow}. */
  constructor(
    private readonly task: Task,
    private readonly switchNow: boolean,
  ) {}
  get pending(): boolean {
    return !this.done;
  }
  resume(value: T): void {
    this.settle(value, false, this.switchNow);
  }
  fail(error: unknown): void {
    this.settle(error, true, this.switchNow);
  }
  /** @internal Resumes with `value`, switching in at once when called on the hub (a timeout's timer). */
  settle(value: unknown, throwing: boolean, now: boolean): void {
    if (this.done) return;
    this.done = true;
    const onFire = this.onFire;
    if (onFire !== undefined) {
      this.onFire = undefined;
      onFire();
    }
    if (now) readyNow(this.task, value, throwing);
    else ready(this.task, value, throwing);
  }
}

let currentTask: Task | undefined;
const resolved = Promise.resolve();
/**
 * @internal Arms `task`'s resumption in the async context of the caller.
 *
 * A green thread must see its own AsyncLocalStorage values after blocking,
 * and leave none behind on the hub. A promise reaction runs in the async
 * context current where `then()` was called (on Node 24+ the continuation-
 * preserved embedder data V8 captures, on Node 20/22 the promise's async
 * resource, which inherits the stores), and is restored afterwards: so the
 * hub resumes a queued thread by resolving a promise whose reaction was
 * registered on the thread's own stack where it blocked. This costs a
 * promise per blocking call, far less than AsyncLocalStorage.snapshot().
 */
export function armResume(task: Task): void {
  let resolve!: () => void;
  const p = new Promise<void>((r) => {
    resolve = r;
  });
  p.then(() => resumeInContext(task));
  task.kick = resolve;
}

function resumeInContext(task: Task): void {
  // Skipped when the thread was killed before it started in the meantime.
  if (task.state !== TaskState.Ready && task.state !== TaskState.New) return;
  try {
    switchIn(task);
  } catch (error) {
    reportError(error, undefined);
  }
}

/** @internal The task whose fiber is running now, or undefined on the hub. */
export function currentTaskOrUndefined(): Task | undefined {
  const t = currentTask;
  // A raw Fiber started inside a green thread is not that green thread.
  if (t !== undefined && Fiber.current === t.fiber) return t;
  return undefined;
}

/**
 * True when the caller runs in a green thread, i.e. when blocking calls
 * (`sleep`, `wait`, blocking queue and lock methods, ...) may be used.
 */
export function inGreenThread(): boolean {
  return currentTaskOrUndefined() !== undefined;
}

/**
 * @internal Whether a blocking call may suspend the caller here: inside a
 * green thread, and, where the engine cannot carry async scopes with each
 * fiber (`Fiber.carriesAsyncScopes` false), not inside an
 * `AsyncResource.runInAsyncScope()` entered within it, where suspending is
 * refused (ERR_GREENPATCH_BLOCKING_IN_ASYNC_SCOPE, see checkCanBlock). The green versions of Node's functions ask this, and
 * behave as Node's own where it is false: stock behaviour wherever the
 * thread could not block, rather than an error.
 */
export function mayBlock(): boolean {
  const task = currentTaskOrUndefined();
  return task !== undefined && (Fiber.carriesAsyncScopes || task.entryAsyncId === executionAsyncId());
}

// The error paths' helpers are loaded when an error first takes them, not at start-up.

/** The hint blockingOnHubError() adds for a caller in a promise continuation; '' elsewhere. */
function awaitHint(): string {
  const { AWAIT_HINT, inPromiseContinuation } = require('./await-hint.js') as typeof import('./await-hint.js');
  return inPromiseContinuation() ? AWAIT_HINT : '';
}

/** caller-stack.js's addCallerStack. */
function addCallerStack(): typeof import('./caller-stack.js').addCallerStack {
  return (require('./caller-stack.js') as typeof import('./caller-stack.js')).addCallerStack;
}

/**
 * The error thrown when a blocking call is made outside any green thread:
 * code `ERR_GREENPATCH_BLOCKING_ON_HUB`, with a message naming the call, and
 * saying so when the caller runs in a promise continuation (after an
 * `await`), the usual way out of a green thread.
 */
export function blockingOnHubError(what: string): Error {
  return codedError(
    'ERR_GREENPATCH_BLOCKING_ON_HUB',
    `${typeof what === 'string' ? what : describeValue(what)} cannot block the hub: call it from a green thread (spawn)` +
      awaitHint(),
  );
}

/** @internal Returns the current task or throws ERR_GREENPATCH_BLOCKING_ON_HUB naming `what`. */
export function requireTask(what: string): Task {
  const t = currentTaskOrUndefined();
  if (t === undefined) throw blockingOnHubError(what);
  return t;
}

/** @internal Options of {@link blockOn}. */
export interface BlockOptions {
  /**
   * Milliseconds to wait at most (undefined or Infinity: no limit); then the
   * registration is undone and the call returns {@link TIMED_OUT}.
   */
  timeout?: number | undefined;
  /**
   * Switch the thread in at once when the waker is called on the hub (from
   * an I/O callback, a timer, a promise reaction that belongs to this very
   * wait), rather than queueing it for the hub's next turn: the waiter runs
   * while its data is fresh, and a busy server does not pay a setImmediate
   * round per read. Wakers called from another green thread still queue.
   */
  switchNow?: boolean;
}

/**
 * Blocks the current green thread until `register`'s continuation is called:
 * the building block of every blocking call in greenpatch (green sockets,
 * dns, http and the cooperative `*Sync` functions are built on it).
 *
 * `register` is called at once with a {@link Waker}; it arranges for
 * `wake.resume(value)` or `wake.fail(error)` to be called later (from an
 * event-loop callback, a promise reaction, another green thread...) and may
 * return a cancel function. The green thread then suspends; other green
 * threads and the event loop run. When the waker is called, the thread is
 * switched back in on the hub and `block()` returns the value or throws the
 * error. If the thread is killed (`GreenThread.kill()`) or a `Timeout`
 * fires first, the cancel function is called and the error is thrown from
 * `block()`, so the thread's `finally` blocks run.
 *
 * `what` names the call in errors, e.g. `"recv()"`. Called outside a green
 * thread, `block()` throws `ERR_GREENPATCH_BLOCKING_ON_HUB` (and does not call
 * `register`). An error thrown by `register` propagates without suspending.
 *
 * @example
 * ```ts
 * // A green version of setTimeout-based sleep:
 * const nap = (ms: number) =>
 *   block<void>('nap()', (wake) => {
 *     const timer = setTimeout(() => wake.resume(), ms);
 *     return () => clearTimeout(timer);
 *   });
 * ```
 */
export function block<T>(what: string, register: Register<T>): T {
  checkFunction('register', register);
  const name = typeof what === 'string' ? what : describeValue(what);
  return blockOn(requireTask(name), name, register);
}

/**
 * @internal {@link block} for `task`, already known to be the current one,
 * with options: a timeout (then it returns {@link TIMED_OUT} when the time
 * runs out first) and switching in at once on wake.
 */
export function blockOn<T>(
  task: Task,
  what: string,
  register: Register<T>,
  options: BlockOptions & { timeout: number | undefined },
): T | typeof TIMED_OUT;
export function blockOn<T>(task: Task, what: string, register: Register<T>, options?: BlockOptions): T;
export function blockOn<T>(task: Task, what: string, register: Register<T>, options?: BlockOptions): T | typeof TIMED_OUT {
  const ms = options?.timeout;
  const waker = new WakerImpl<T>(task, options?.switchNow === true);
  if (ms === undefined || ms === Infinity) return suspendOn(task, what, waker, register);
  return suspendOn<T | typeof TIMED_OUT>(task, what, waker, (w) => {
    const undo = register(w as Waker<T>);
    if (waker.done) return undo;
    const clear = startTimer(ms, () => {
      if (waker.done) return;
      waker.onFire = undefined;
      if (typeof undo === 'function') undo();
      waker.settle(TIMED_OUT, false, true);
    });
    waker.onFire = clear;
    return () => {
      clear();
      if (typeof undo === 'function') undo();
    };
  });
}

function suspendOn<T>(task: Task, what: string, waker: WakerImpl<any>, register: Register<T>): T {
  checkCanBlock(task, what);
  task.waker = waker;
  let cancel: (() => void) | void;
  try {
    cancel = register(waker);
  } catch (error) {
    // Even if it called the waker before throwing, the thread goes on
    // running here: a queued resumption finds it Running and is skipped.
    waker.done = true;
    task.waker = undefined;
    task.state = TaskState.Running;
    task.resumeValue = undefined;
    task.resumeThrows = false;
    throw error;
  }
  if (!waker.done) {
    task.state = TaskState.Blocked;
    task.undo = cancel;
  }
  noteBlock(task, what);
  if (contextNeedsArming()) armResume(task);
  return suspendTask(task) as T;
}

/**
 * @internal A blocking call for the hot paths (socket reads and writes):
 * parks the current task without allocating anything where the engine
 * carries async context (Node 24+; on Node 20/22 the resumption is armed
 * as for block()). The waiter keeps `task` and wakes it with
 * {@link wakeParked} from an event-loop callback, which switches in at
 * once; `undo(arg)` withdraws the wait when the task is interrupted first.
 */
export function park(task: Task, what: string, undo: (arg: any) => void, arg: unknown): unknown {
  checkCanBlock(task, what);
  task.state = TaskState.Blocked;
  task.undoWith = undo;
  task.undoArg = arg;
  noteBlock(task, what);
  if (contextNeedsArming()) armResume(task);
  return suspendTask(task);
}

/**
 * @internal Wakes a task parked by {@link park}: the parked call returns
 * `value` (or throws it when `throwing`). The waiter must call it at most
 * once per park (it forgets the task when it does, and in its undo).
 */
export function wakeParked(task: Task, value: unknown, throwing: boolean): void {
  if (task.state !== TaskState.Blocked) return;
  const kick = task.kick;
  if (kick === undefined) {
    readyNow(task, value, throwing);
    return;
  }
  // Its context is in async_hooks state: it resumes from the reaction armed
  // where it parked, right after the waking callback.
  task.kick = undefined;
  markReady(task, value, throwing);
  kick();
}

/**
 * @internal Suspends the current task until the hub's next turn, as a wait
 * that is already over (sleep(0)): it goes to the back of the run queue
 * without a waker, so nothing interrupts it; a kill() or Timeout meanwhile is
 * delivered at its next blocking call.
 */
export function yieldTurn(task: Task, what: string): void {
  checkCanBlock(task, what);
  noteBlock(task, what);
  if (contextNeedsArming()) armResume(task);
  ready(task, undefined, false);
  suspendTask(task);
}

function checkCanBlock(task: Task, what: string): void {
  const pending = task.pending;
  if (pending !== undefined) {
    task.pending = undefined;
    addCallerStack()(pending.error, what, task);
    throw pending.error; //! node-do-not-add-exception-line
  }
  if (!Fiber.carriesAsyncScopes && executionAsyncId() !== task.entryAsyncId) {
    // Node keeps one stack of async scopes per thread. The engine carries
    // each fiber's part of it across switches (Fiber.carriesAsyncScopes);
    // where it cannot, suspending inside AsyncResource.runInAsyncScope()
    // (or anything built on it) would leave that stack unbalanced on the
    // hub, which Node treats as a fatal error.
    throw codedError(
      'ERR_GREENPATCH_BLOCKING_IN_ASYNC_SCOPE',
      `${what} cannot block inside AsyncResource.runInAsyncScope() (or a function bound with AsyncResource.bind()): ` +
        'leave that scope first, or spawn a green thread for the blocking work',
    );
  }
}

/** Suspends the task's fiber until switchIn(), then returns or throws what it was resumed with. */
function suspendTask(task: Task): unknown {
  Fiber.yield();
  // Run info may switch in only to read the stack here (block-site.ts).
  while (stackProbe.target === task) stackProbe.answer();
  // Switched back in by the hub (switchIn), which set state and resume fields.
  noteResumed(task);
  task.waker = undefined;
  task.undo = undefined;
  task.undoWith = undefined;
  task.undoArg = undefined;
  const what = task.blockedOn;
  task.blockedOn = undefined;
  const value = task.resumeValue;
  task.resumeValue = undefined;
  if (task.resumeThrows) {
    task.resumeThrows = false;
    // Still on the thread's stack, inside the blocking call: the error gets
    // its caller's frames. The marker on the throw keeps Node from printing
    // this line of greenpatch's above the stack when nothing catches it.
    addCallerStack()(value, what, task);
    throw value; //! node-do-not-add-exception-line
  }
  return value;
}

/** Marks a task woken: its blocking call is to return `value` (or throw it). */
function markReady(task: Task, value: unknown, throwing: boolean): void {
  task.resumeValue = value;
  task.resumeThrows = throwing;
  task.state = TaskState.Ready;
}

/** @internal Marks a blocked task woken and queues its resumption. */
function ready(task: Task, value: unknown, throwing: boolean): void {
  markReady(task, value, throwing);
  enqueue(task);
}

/** @internal Like ready(), but switches in at once when on the hub and the task is suspended. */
function readyNow(task: Task, value: unknown, throwing: boolean): void {
  markReady(task, value, throwing);
  // A task with a fiber that is not running has a started one: switchIn()
  // forgets the fiber of a thread that ends or never started.
  if (Fiber.current === undefined && task.fiber !== undefined) {
    try {
      switchIn(task);
    } catch (error) {
      reportError(error, undefined);
    }
  } else {
    enqueue(task);
  }
}

// The run queue. Only what was queued before a turn runs in it: sleep(0)
// loops therefore never starve the event loop. A thread whose resumption
// was armed (a new thread, or one that blocked where async context must be
// carried by a reaction) runs from that promise reaction, right after this
// turn's callback; one with nothing armed is switched in from the callback
// itself, unless a thread ahead of it in this batch went to a reaction: then
// it follows through a reaction of its own, so the batch runs in order.
let batchViaReactions = false;
const runQueue = new TurnBatch<Task>(
  (task) => {
    if (task.state !== TaskState.Ready && task.state !== TaskState.New) return;
    const kick = task.kick;
    task.kick = undefined;
    if (kick !== undefined) {
      batchViaReactions = true;
      kick();
    } else if (batchViaReactions) {
      void resolved.then(() => resumeInContext(task));
    } else {
      resumeInContext(task);
    }
  },
  () => {
    batchViaReactions = false;
  },
);

/** @internal Queues a task (a new one to start, or a ready one to resume) on the hub. */
export function enqueue(task: Task): void {
  runQueue.add(task);
}

/** @internal Told of every switch into and out of a green thread; set only while the hub monitor runs (monitor.ts). */
export interface SwitchObserver {
  switchedIn(task: Task): void;
  switchedOut(task: Task): void;
}
let switchObserver: SwitchObserver | undefined;

/** @internal Installs (or, with undefined, removes) the hub monitor's {@link SwitchObserver}. */
export function observeSwitches(observer: SwitchObserver | undefined): void {
  switchObserver = observer;
}

/** @internal Switches from the hub into `task` until it blocks again or finishes. */
export function switchIn(task: Task): void {
  let fiber = task.fiber;
  if (fiber === undefined) {
    fiber = fiberFor(task);
    task.fiber = fiber;
  }
  task.kick = undefined;
  task.entryAsyncId = executionAsyncId();
  task.state = TaskState.Running;
  const saved = currentTask;
  currentTask = task;
  const observer = switchObserver;
  if (observer !== undefined) observer.switchedIn(task);
  let failure: unknown;
  let failed = false;
  let finished = false;
  try {
    // Starts the thread (on a fiber from fiberFor), or resumes the
    // Fiber.yield() in suspendTask(), which reads the resume fields.
    fiber.run();
    finished = takeThreadFinished();
  } catch (error) {
    // run() catches everything the thread's function throws; what gets
    // here is the engine's own (e.g. a reset) and ends the thread.
    failed = true;
    failure = error;
  } finally {
    currentTask = saved;
  }
  // A fiber can end without finishing its thread only when run() threw (an
  // engine error); when it returned, the fiber finished or yielded. So the
  // native call behind `started` is made only then.
  if (finished || (failed && !fiber.started)) {
    task.state = TaskState.Done;
    task.fiber = undefined;
    if (finished) releaseFiber(fiber);
    task.exited(failed, failure);
  } else if (task.state === TaskState.Running) {
    // The fiber yielded without going through block() (a raw Fiber.yield()
    // in user code): treat it as parked until something resumes it.
    task.state = TaskState.Blocked;
  }
  if (observer !== undefined) observer.switchedOut(task);
}

/**
 * @internal Interrupts `task` with `error` at its blocking point: `kill()`
 * and `Timeout` use this. `source` identifies the interrupter so that a
 * still-undelivered interruption can be withdrawn (clearPending).
 */
export function interrupt(task: Task, error: unknown, source: unknown): void {
  switch (task.state) {
    case TaskState.Done:
      return;
    case TaskState.New: {
      const cancel = task.undo;
      task.undo = undefined;
      task.state = TaskState.Done;
      if (typeof cancel === 'function') safeCall(cancel);
      task.exited(true, error);
      return;
    }
    case TaskState.Blocked: {
      const waker = task.waker;
      const cancel = task.undo;
      const undoWith = task.undoWith;
      const undoArg = task.undoArg;
      task.undo = undefined;
      task.undoWith = undefined;
      task.undoArg = undefined;
      if (waker !== undefined) waker.done = true;
      if (typeof cancel === 'function') safeCall(cancel);
      if (undoWith !== undefined) safeCall(() => undoWith(undoArg));
      ready(task, error, true);
      return;
    }
    case TaskState.Running:
      if (task === currentTaskOrUndefined()) throw error;
      task.pending = { error, source };
      return;
    case TaskState.Ready:
      // Its blocking call already succeeded: deliver at the next one.
      task.pending = { error, source };
      return;
  }
}

/** @internal Withdraws an interruption from `source` not yet delivered to `task`. */
export function clearPending(task: Task, source: unknown): void {
  if (task.pending !== undefined && task.pending.source === source) task.pending = undefined;
}

function safeCall(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    reportError(error, undefined);
  }
}

/** @internal Sentinel resume value of a blocking call whose timeout expired. */
export const TIMED_OUT: unique symbol = Symbol('greenpatch.timedOut');
