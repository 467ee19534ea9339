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
import { executionAsyncId } from 'node:async_hooks';
import Fiber = require('@greenpatch/fibers');
import { contextNeedsArming } from './context-arming';
import { codedError } from './errors';
import { TurnBatch } from './turn-batch';

type FiberObject = InstanceType<typeof Fiber>;

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
  constructor(private readonly task: Task) {}
  get pending(): boolean {
    return !this.done;
  }
  resume(value: T): void {
    this.settle(value, false, false);
  }
  fail(error: unknown): void {
    this.settle(error, true, false);
  }
  /** @internal Like resume(), but switches in right away when called on the hub. */
  resumeNow(value: T): void {
    this.settle(value, false, true);
  }
  /** @internal Like fail(), but switches in right away when called on the hub. */
  failNow(error: unknown): void {
    this.settle(error, true, true);
  }
  private settle(value: unknown, throwing: boolean, now: boolean): void {
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
 * The error thrown when a blocking call is made outside any green thread:
 * code `ERR_GREENPATCH_BLOCKING_ON_HUB`, with a message naming the call.
 */
export function blockingOnHubError(what: string): Error {
  return codedError(
    'ERR_GREENPATCH_BLOCKING_ON_HUB',
    `${what} cannot block the hub: call it from a green thread (spawn)`,
  );
}

/** @internal Returns the current task or throws ERR_GREENPATCH_BLOCKING_ON_HUB naming `what`. */
export function requireTask(what: string): Task {
  const t = currentTaskOrUndefined();
  if (t === undefined) throw blockingOnHubError(what);
  return t;
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
  const task = requireTask(what);
  return blockTask(task, register, what);
}

/** @internal block() for a task already known to be current. */
export function blockTask<T>(task: Task, register: Register<T>, what?: string): T {
  checkCanBlock(task, what);
  const waker = new WakerImpl<T>(task);
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
  task.blockedOn = what;
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
  task.blockedOn = what;
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
  task.blockedOn = what;
  if (contextNeedsArming()) armResume(task);
  ready(task, undefined, false);
  suspendTask(task);
}

function checkCanBlock(task: Task, what: string | undefined): void {
  const pending = task.pending;
  if (pending !== undefined) {
    task.pending = undefined;
    throw pending.error;
  }
  if (!Fiber.carriesAsyncScopes && executionAsyncId() !== task.entryAsyncId) {
    // Node keeps one stack of async scopes per thread. The engine carries
    // each fiber's part of it across switches (Fiber.carriesAsyncScopes);
    // where it cannot, suspending inside AsyncResource.runInAsyncScope()
    // (or anything built on it) would leave that stack unbalanced on the
    // hub, which Node treats as a fatal error.
    throw codedError(
      'ERR_GREENPATCH_BLOCKING_IN_ASYNC_SCOPE',
      `${what ?? 'block()'} cannot block inside AsyncResource.runInAsyncScope() (or a function bound with AsyncResource.bind()): ` +
        'leave that scope first, or spawn a green thread for the blocking work',
    );
  }
}

/** Suspends the task's fiber until switchIn(), then returns or throws what it was resumed with. */
function suspendTask(task: Task): unknown {
  Fiber.yield();
  // Switched back in by the hub (switchIn), which set state and resume fields.
  task.waker = undefined;
  task.undo = undefined;
  task.undoWith = undefined;
  task.undoArg = undefined;
  task.blockedOn = undefined;
  const value = task.resumeValue;
  task.resumeValue = undefined;
  if (task.resumeThrows) {
    task.resumeThrows = false;
    throw value;
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

// Green threads run on reusable fibers: a fiber whose thread has finished
// says so and yields, waiting idle for the next thread to run. Starting a
// thread on an idle fiber is one switch, where a new fiber costs a stack,
// a native handle and a first entry into JavaScript. A thread may thus
// share its Fiber object with earlier and later threads (never with one
// running at the same time).
/**
 * Set by a fiber whose thread has just finished, right before it yields;
 * read and cleared by the switchIn() that resumed it. A flag rather than a
 * value yielded: the engine hands a yielded object over through a global
 * handle, which a flag spares on every thread's end.
 */
let threadFinished = false;
const idleFibers: FiberObject[] = [];
/** Idle fibers kept at most; more are ended, their stacks back to the engine's pool. */
const IDLE_FIBERS_KEPT = 1024;

/** The thread an idle or new fiber is to run next; handed over outside run()'s arguments, which the engine keeps alive until the fiber ends. */
let handedTask: Task | undefined;

function workerLoop(): void {
  let task = handedTask;
  while (task !== undefined) {
    handedTask = undefined;
    task.run();
    // Hold nothing of a finished thread while idle.
    task = undefined;
    threadFinished = true;
    Fiber.yield();
    task = handedTask;
  }
}

function releaseFiber(fiber: FiberObject): void {
  if (idleFibers.length < IDLE_FIBERS_KEPT) {
    idleFibers.push(fiber);
    return;
  }
  try {
    handedTask = undefined;
    fiber.run(); // ends workerLoop
  } catch (error) {
    reportError(error, undefined);
  }
}

/** @internal Switches from the hub into `task` until it blocks again or finishes. */
export function switchIn(task: Task): void {
  let fiber = task.fiber;
  if (fiber === undefined) {
    fiber = idleFibers.pop() ?? new Fiber(workerLoop);
    task.fiber = fiber;
    handedTask = task;
  }
  task.kick = undefined;
  task.entryAsyncId = executionAsyncId();
  task.state = TaskState.Running;
  const saved = currentTask;
  currentTask = task;
  let failure: unknown;
  let failed = false;
  let finished = false;
  try {
    // Starts the thread (workerLoop takes handedTask), or resumes the
    // Fiber.yield() in suspendTask(), which reads the resume fields.
    fiber.run();
    finished = threadFinished;
    threadFinished = false;
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

const MAX_TIMER = 2 ** 31 - 1;

/**
 * @internal setTimeout for any number of milliseconds (Infinity never
 * fires and holds no timer); returns a function that clears it.
 */
export function startTimer(ms: number, fn: () => void): () => void {
  if (ms === Infinity) return () => {};
  let timer: NodeJS.Timeout;
  const deadline = Date.now() + ms;
  const arm = (delay: number) => {
    timer = setTimeout(() => {
      const left = deadline - Date.now();
      if (delay === MAX_TIMER && left > 0) arm(Math.min(left, MAX_TIMER));
      else fn();
    }, delay);
  };
  arm(Math.min(ms, MAX_TIMER));
  return () => clearTimeout(timer);
}

/** @internal Sentinel resume value of a blocking call whose timeout expired. */
export const TIMED_OUT: unique symbol = Symbol('greenpatch.timedOut');

/**
 * @internal block() with an optional timeout (undefined = none): returns
 * TIMED_OUT when `ms` pass before the waker is called.
 */
export function blockWithTimeout<T>(
  task: Task,
  what: string,
  ms: number | undefined,
  register: Register<T>,
): T | typeof TIMED_OUT {
  if (ms === undefined || ms === Infinity) return blockTask(task, register, what);
  return blockTask<T | typeof TIMED_OUT>(
    task,
    (wake) => {
      const w = wake as WakerImpl<T | typeof TIMED_OUT>;
      const undo = register(w as unknown as Waker<T>);
      if (w.done) return undo;
      const clear = startTimer(ms, () => {
        if (w.done) return;
        w.onFire = undefined;
        if (typeof undo === 'function') undo();
        w.resumeNow(TIMED_OUT);
      });
      w.onFire = clear;
      return () => {
        clear();
        if (typeof undo === 'function') undo();
      };
    },
    what,
  );
}

/**
 * Called with errors nobody else will see: an error that ended a green
 * thread nobody waits for or links to, or one thrown by a link callback.
 * `thread` is the green thread concerned, when there is one.
 */
export type ErrorHandler = (error: unknown, thread: unknown) => void;

function defaultErrorHandler(error: unknown, thread: unknown): void {
  const name =
    thread !== undefined && thread !== null && typeof (thread as { name?: unknown }).name === 'string'
      ? ` ${(thread as { name: string }).name}`
      : '';
  const detail = error instanceof Error && error.stack !== undefined ? error.stack : String(error);
  process.stderr.write(`greenpatch: unhandled error in green thread${name}:\n${detail}\n`);
}

let errorHandler: ErrorHandler = defaultErrorHandler;

/**
 * Replaces the handler of unhandled green-thread errors (by default they are
 * written to stderr with their stack). Pass `null` to restore the default.
 * Returns the previous handler. A handler that throws is reported to stderr.
 *
 * @example
 * ```ts
 * setErrorHandler((error, thread) => logger.error({ error, thread: thread?.name }));
 * ```
 */
export function setErrorHandler(handler: ErrorHandler | null): ErrorHandler {
  if (handler !== null && typeof handler !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "handler" argument must be a function or null', TypeError);
  }
  const previous = errorHandler;
  errorHandler = handler ?? defaultErrorHandler;
  return previous;
}

/** Hands `error` to the error handler (see {@link setErrorHandler}). Never throws. */
export function reportError(error: unknown, thread?: unknown): void {
  try {
    errorHandler(error, thread);
  } catch (handlerError) {
    try {
      defaultErrorHandler(error, thread);
      defaultErrorHandler(handlerError, undefined);
    } catch {
      // stderr itself failed: nothing more can be done.
    }
  }
}
