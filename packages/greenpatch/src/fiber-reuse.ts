// Green threads run on reusable fibers: a fiber whose thread has finished
// says so and yields, waiting idle for the next thread to run. Starting a
// thread on an idle fiber is one switch, where a new fiber costs a stack,
// a native handle and a first entry into JavaScript. A thread may thus
// share its Fiber object with earlier and later threads (never with one
// running at the same time).
//
// On Node 24 and 26 the engine carries AsyncLocalStorage's context with each
// fiber; an idle fiber yields with the engine's yieldIdle, so that the next
// thread it runs starts in its spawner's context (as on a new fiber), not
// in the one the fiber's last thread ended in.
import Fiber = require('@greenpatch/fibers');
import { reportError } from './error-handler.js';

/** @internal */
export type FiberObject = InstanceType<typeof Fiber>;

/** @internal What a reusable fiber runs: the body of one green thread at a time. */
export interface Runnable {
  run(): void;
}

/**
 * Set by a fiber whose thread has just finished, right before it yields;
 * read and cleared by the switch that resumed it (takeThreadFinished). A
 * flag rather than a value yielded: the engine hands a yielded object over
 * through a global handle, which a flag spares on every thread's end.
 */
let threadFinished = false;
const idleFibers: FiberObject[] = [];
/** Idle fibers kept at most; more are ended, their stacks back to the engine's pool. */
const IDLE_FIBERS_KEPT = 1024;

/** The thread an idle or new fiber is to run next; handed over outside run()'s arguments, which the engine keeps alive until the fiber ends. */
let handedTask: Runnable | undefined;

type YieldIdle = (value?: unknown) => unknown;
const yieldIdle = (Fiber as unknown as Record<symbol, YieldIdle | undefined>)[Symbol.for('@greenpatch/fibers.yieldIdle')] ?? Fiber.yield;

function workerLoop(): void {
  let task = handedTask;
  while (task !== undefined) {
    handedTask = undefined;
    task.run();
    // Hold nothing of a finished thread while idle.
    task = undefined;
    threadFinished = true;
    yieldIdle();
    task = handedTask;
  }
}

/**
 * @internal An idle fiber (or a new one) that runs `task` when next run:
 * the caller's `fiber.run()` starts it.
 */
export function fiberFor(task: Runnable): FiberObject {
  const fiber = idleFibers.pop() ?? new Fiber(workerLoop);
  handedTask = task;
  return fiber;
}

/** @internal After `fiber.run()` returned: whether the fiber's thread finished (rather than yielded). Clears the flag. */
export function takeThreadFinished(): boolean {
  const finished = threadFinished;
  threadFinished = false;
  return finished;
}

/** @internal Takes back the fiber of a finished thread: kept idle for the next thread, or ended. */
export function releaseFiber(fiber: FiberObject): void {
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
