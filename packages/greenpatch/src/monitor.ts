// The hub monitor, like gevent's monitor thread: says when one green thread
// or one callback on the hub keeps the event loop from turning for longer
// than a threshold, naming it and showing its stack, and when the loop has
// run dry with green threads still blocked on what can never happen.
//
// The main thread cannot watch itself while it is stuck, so the watcher is
// a worker thread (monitor-worker.ts). The main thread only bumps a counter
// in shared memory at every green-thread switch and on a heartbeat timer;
// the worker takes the stack through the inspector. Off, it costs nothing
// but one check per switch.
import type { Worker } from 'node:worker_threads';
import { join } from 'node:path';

import { reportError } from './error-handler.js';
import { codedError, describeValue } from './errors.js';
import type { GreenThread } from './greenthread.js';
import { currentTaskOrUndefined, observeSwitches, TaskState, type SwitchObserver, type Task } from './hub.js';
import { internalPlaces } from './internal-frames.js';
import { liveThreads, type LiveLinks } from './live-threads.js';
import { atDrainedExit } from './main-thread-watch.js';

/** Options of {@link startMonitor}. */
export interface MonitorOptions {
  /**
   * Milliseconds one green thread or one hub callback may keep the event
   * loop from turning before it is reported (default 100).
   */
  maxBlockingTime?: number;
  /**
   * Called on the main thread with each report: a {@link BlockedReport}
   * once the loop turns again (the main thread cannot run anything while it
   * is blocked), a {@link StuckReport} as the process ends. Errors it
   * throws go to the error handler.
   */
  onReport?: (report: MonitorReport) => void;
  /** Write reports to stderr as they happen (default true). */
  stderr?: boolean;
}

/** One green thread or hub callback that kept the event loop from turning. */
export interface BlockedReport {
  kind: 'blocked';
  /** About how long the loop did not turn, in milliseconds (to within a quarter of the threshold). */
  duration: number;
  /** The green thread's name, or undefined when a callback on the hub (a timer, an I/O callback, a promise reaction) was running. */
  thread: string | undefined;
  /**
   * The stack of what was running when the threshold passed, in V8's
   * `    at fn (file:line:column)` lines, innermost first; empty when it
   * could not be taken (see `note`).
   */
  stack: string;
  /** True when it was blocked inside native code; `stack` is then where it came back to JavaScript. */
  inNativeCode: boolean;
  /** Why the stack is missing or partial, if it is. */
  note: string | undefined;
}

/** The event loop ran dry with green threads still blocked: nothing can wake them. */
export interface StuckReport {
  kind: 'stuck';
  /** Each thread left blocked, with what it is blocked in (e.g. `"Queue.get()"`). */
  threads: Array<{ name: string; blockedIn: string | undefined }>;
}

/** What {@link MonitorOptions.onReport} receives. */
export type MonitorReport = BlockedReport | StuckReport;

/** @internal What the watcher worker is started with. */
export interface MonitorWorkerData {
  progress: SharedArrayBuffer;
  maxBlockingTime: number;
  heartbeat: number;
  poll: number;
  stderr: boolean;
  describeExpression: string;
  heartbeatName: string;
  /** greenpatch's own places (internal-frames.ts), whose frames a blocked stack drops at its outer end. */
  internalDirs: string[];
}

/** @internal What the worker posts: `ready` once it watches, then one message per blocked stretch once it is over. */
export type WorkerMessage = { ready: true } | WorkerBlockedMessage;

/** @internal What the worker posts once a blocked stretch is over. */
export interface WorkerBlockedMessage {
  ready?: undefined;
  duration: number;
  thread: string | null;
  stack: string;
  inNativeCode: boolean;
  note: string | undefined;
}

const DESCRIBE = Symbol.for('greenpatch.monitor.describe');
const HEARTBEAT_NAME = 'greenpatchMonitorHeartbeat';

interface Running {
  readonly maxBlockingTime: number;
  readonly worker: Worker;
  readonly timer: NodeJS.Timeout;
  readonly stopDrainWatch: () => void;
}

let running: Running | undefined;

/** Names the green thread running now (for the worker, evaluated while the main thread is paused). */
function describeCurrent(): string | null {
  const task = currentTaskOrUndefined() as GreenThread | undefined;
  return task === undefined ? null : String(task.name);
}

/** Bumps the progress counter the watcher reads at each switch into and out of a green thread. */
class Tracker implements SwitchObserver {
  constructor(private readonly cells: Int32Array) {}

  switchedIn(): void {
    this.cells[0]++;
  }

  switchedOut(): void {
    this.cells[0]++;
  }
}

/** The threads that have run and not finished (from run info's registry of live threads). */
function unfinishedThreads(): Array<{ name: string; blockedIn: string | undefined }> {
  const list: Array<{ name: string; blockedIn: string | undefined }> = [];
  for (const thread of liveThreads<GreenThread & LiveLinks>()) {
    const task = thread as unknown as Task;
    if (task.state === TaskState.New || task.state === TaskState.Done) continue;
    list.push({ name: String(thread.name), blockedIn: task.blockedOn });
  }
  return list;
}

function checkMaxBlockingTime(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw codedError(
      'ERR_INVALID_ARG_VALUE',
      `maxBlockingTime must be a finite number of milliseconds, at least 1, not ${describeValue(value)}`,
      RangeError,
    );
  }
  return value;
}

function deliver(onReport: MonitorOptions['onReport'], report: MonitorReport): void {
  if (onReport === undefined) return;
  try {
    onReport(report);
  } catch (error) {
    reportError(error, undefined);
  }
}

/**
 * Starts the hub monitor (gevent's monitor thread): from a worker thread, it
 * watches the main thread's event loop, and when one green thread or one
 * callback on the hub (a timer, an I/O callback, a promise reaction) keeps
 * it from turning for longer than `maxBlockingTime` ms, it reports which
 * (the green thread's name) with the stack it was running, taken through
 * the inspector (`node:inspector`, which the monitor pauses for a moment).
 * When the event loop runs dry with green threads still blocked (on an
 * Event nobody will set, a Queue nobody will fill...), it lists them. By
 * default reports go to stderr; `onReport` receives them as objects too.
 *
 * `GREENPATCH_MONITOR=<ms>` starts it from `greenpatch/register` and
 * `patchAll()`. Only the main thread can be watched. Calling it again
 * restarts the monitor with the new options. The watcher does not keep the
 * process alive.
 *
 * Returns a promise that resolves once the watcher (a worker thread, which
 * takes a moment to start) is watching: a block before then is not seen.
 * Nothing needs to wait for it; it never rejects. Until then the starting
 * watcher keeps the process alive, a moment.
 *
 * @throws `ERR_INVALID_ARG_VALUE` for a `maxBlockingTime` that is not a
 *   number of at least 1; `ERR_GREENPATCH_MONITOR_MAIN_THREAD` outside the
 *   main thread.
 *
 * @example
 * ```js
 * startMonitor({ maxBlockingTime: 200, onReport: (r) => log.warn(r) });
 * ```
 */
export function startMonitor(options: MonitorOptions = {}): Promise<void> {
  if (options === null || typeof options !== 'object') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'startMonitor(options): options must be an object', TypeError);
  }
  const maxBlockingTime = checkMaxBlockingTime(options.maxBlockingTime ?? 100);
  const { onReport } = options;
  if (onReport !== undefined && typeof onReport !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "onReport" option must be a function', TypeError);
  }
  // worker_threads is loaded when a monitor starts, not at every start-up.
  const { isMainThread, Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  if (!isMainThread) {
    throw codedError(
      'ERR_GREENPATCH_MONITOR_MAIN_THREAD',
      "The hub monitor watches the main thread only: the inspector, which takes the stacks, reaches no worker's thread",
    );
  }
  stopMonitor();
  const stderr = options.stderr !== false;
  const cells = new Int32Array(new SharedArrayBuffer(4));
  const tracker = new Tracker(cells);
  // A loop that turns bumps the counter at least this often, even idle.
  const heartbeat = Math.max(1, Math.round(maxBlockingTime / 4));
  const beat = { [HEARTBEAT_NAME]: () => void cells[0]++ }[HEARTBEAT_NAME];
  const here = __dirname;
  const data: MonitorWorkerData = {
    progress: cells.buffer as SharedArrayBuffer,
    maxBlockingTime,
    heartbeat,
    poll: Math.max(1, Math.round(maxBlockingTime / 4)),
    stderr,
    describeExpression: `globalThis[Symbol.for(${JSON.stringify(DESCRIBE.description)})]?.() ?? null`,
    heartbeatName: HEARTBEAT_NAME,
    internalDirs: [...internalPlaces()],
  };
  // Plain Node in the worker: no preloads (greenpatch/register) from the command line.
  const worker = new Worker(join(here, 'monitor-worker.js'), {
    workerData: data,
    execArgv: [],
    env: { ...process.env, NODE_OPTIONS: '' },
    stdout: false,
    stderr: false,
  });
  let watching!: () => void;
  const ready = new Promise<void>((resolve) => {
    watching = resolve;
  });
  worker.on('message', (m: WorkerMessage) => {
    if (m.ready === true) {
      // Referenced until then, so that awaiting this start cannot end the process.
      worker.unref();
      watching();
      return;
    }
    deliver(onReport, {
      kind: 'blocked',
      duration: m.duration,
      thread: m.thread ?? undefined,
      stack: m.stack,
      inNativeCode: m.inNativeCode,
      note: m.note,
    });
  });
  // A worker that ends (stopMonitor, or one that failed) watches no more.
  worker.once('exit', () => watching());
  worker.on('error', (error) => {
    reportError(error, undefined);
  });
  Object.defineProperty(globalThis, DESCRIBE, { value: describeCurrent, configurable: true, writable: true });
  const timer = setInterval(beat, heartbeat);
  timer.unref();
  observeSwitches(tracker);
  const stopDrainWatch = atDrainedExit(() => {
    const threads = unfinishedThreads();
    if (threads.length === 0) return;
    if (stderr) {
      const lines = threads.map((t) => `  "${t.name}" in ${t.blockedIn ?? 'a raw Fiber.yield()'}\n`).join('');
      process.stderr.write(
        `greenpatch monitor: the event loop has nothing left to run, and ${threads.length} green ` +
          `thread${threads.length === 1 ? ' is' : 's are'} still blocked on what can never happen:\n${lines}`,
      );
    }
    deliver(onReport, { kind: 'stuck', threads });
  });
  running = { maxBlockingTime, worker, timer, stopDrainWatch };
  return ready;
}

/** Stops the hub monitor; does nothing when it is not running. */
export function stopMonitor(): void {
  const r = running;
  if (r === undefined) return;
  running = undefined;
  observeSwitches(undefined);
  clearInterval(r.timer);
  r.stopDrainWatch();
  delete (globalThis as Record<symbol, unknown>)[DESCRIBE];
  void r.worker.terminate();
}

/** True while the hub monitor runs. */
export function monitorRunning(): boolean {
  return running !== undefined;
}

/**
 * @internal Starts the monitor as `GREENPATCH_MONITOR` asks (a threshold in
 * ms; unset, empty or 0: off), on the main thread, unless it already runs.
 * ERR_GREENPATCH_INVALID_ENV for a value that is not a number of ms.
 */
export function startMonitorFromEnv(): void {
  const value = process.env.GREENPATCH_MONITOR?.trim() ?? '';
  if (value === '' || value === '0' || running !== undefined) return;
  if (!(require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread) return;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 1) {
    throw codedError(
      'ERR_GREENPATCH_INVALID_ENV',
      `GREENPATCH_MONITOR must be a threshold in milliseconds (e.g. 100), not ${describeValue(value)}`,
    );
  }
  void startMonitor({ maxBlockingTime: ms });
}
