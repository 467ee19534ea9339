// Run info: what every live green thread is doing, as data (runInfo), as
// text (formatRunInfo, gevent's format_run_info) and in util.inspect().
import Fiber = require('@greenpatch/fibers');
import type { InspectOptionsStylized, inspect as Inspect } from 'node:util';
import { stackProbe } from './block-site.js';
import type { GreenThread } from './greenthread.js';
import { currentTaskOrUndefined, TaskState } from './hub.js';
import { isInternalFrame, withStackRoom } from './internal-frames.js';
import { liveThreads } from './live-threads.js';
import type { GreenPool } from './pool.js';

/**
 * Where a live green thread is: `'unstarted'` (spawned, its start queued or
 * timed), `'running'` (on the CPU: the caller's own thread, or one that
 * switched into another green thread's listener), `'blocked'` (suspended in
 * a blocking call, waiting for it to complete), `'ready'` (its blocking call
 * has completed, or it yielded with `sleep(0)`; its resumption is queued).
 */
export type ThreadState = 'unstarted' | 'running' | 'blocked' | 'ready';

/** The green thread that created another, as run info reports it. */
export interface Spawner {
  /** Its id (`GreenThread.id`). */
  readonly id: number;
  /** Its name: the current one while it lives, the one it had when it spawned otherwise. */
  readonly name: string;
  /** The thread itself while it is live; undefined once it has finished. */
  readonly thread: GreenThread<any> | undefined;
}

/** One live green thread in {@link runInfo}. */
export interface ThreadInfo {
  /** The thread's handle. */
  readonly thread: GreenThread<any>;
  /** `thread.id`. */
  readonly id: number;
  /** `thread.name`. */
  readonly name: string;
  /** Where it is; see {@link ThreadState}. */
  readonly state: ThreadState;
  /**
   * The blocking call it is suspended in (`'sleep()'`, `'Queue.get()'`,
   * `'Event.wait()'`, `'socket.recv()'`, `'http.getSync()'`...), for a
   * blocked or ready thread; undefined otherwise, and for a thread suspended
   * by a raw `Fiber.yield()`.
   */
  readonly blockedIn: string | undefined;
  /** When that call began, in `Date.now()` milliseconds; undefined when `blockedIn` is. */
  readonly blockedSince: number | undefined;
  /**
   * Its stack, V8's `    at ...` lines with greenpatch's own frames above
   * and below the user's code left out: at the blocking call for a blocked
   * or ready thread (the first line is the caller of that call), at the
   * `runInfo()` call for the caller's own thread. Undefined for an unstarted
   * thread, for one running under another, and when `stacks: false`.
   */
  readonly stack: string | undefined;
  /** The green thread that created it; undefined when it was created on the hub. */
  readonly spawnedBy: Spawner | undefined;
  /** The `GreenPool` it runs in, if it was spawned by one. */
  readonly pool: GreenPool | undefined;
}

/** Options of {@link runInfo} and {@link formatRunInfo}. */
export interface RunInfoOptions {
  /**
   * Collect each thread's stack (default true). Reading a suspended
   * thread's stack switches into it for a moment (a few microseconds a
   * thread, nothing of the thread's own code runs); false skips that.
   */
  stacks?: boolean;
}

const stateNames: Record<number, ThreadState> = {
  [TaskState.New]: 'unstarted',
  [TaskState.Running]: 'running',
  [TaskState.Blocked]: 'blocked',
  [TaskState.Ready]: 'ready',
};

/** The text of a stack captured on `holder`; undefined when a user's Error.prepareStackTrace failed or made no string. */
function stackText(holder: { stack?: unknown }): string | undefined {
  try {
    const stack = holder.stack;
    return typeof stack === 'string' ? stack : undefined;
  } catch {
    return undefined;
  }
}

/** V8's stack text, frames only, with greenpatch's frames above and below the user's left out. */
function userFrames(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined;
  const frames = stack.split('\n').filter((line) => line.startsWith('    at '));
  let first = 0;
  while (first < frames.length && isInternalFrame(frames[first])) first++;
  let end = frames.length;
  while (end > first && isInternalFrame(frames[end - 1])) end--;
  // All greenpatch's (a blocking call made by greenpatch itself): keep them all.
  return (first < end ? frames.slice(first, end) : frames).join('\n');
}

/** The most frames a captured stack keeps beyond the user's limit, for greenpatch's own on top. */
const OWN_FRAMES_ALLOWANCE = 20;

/** The stack of a thread suspended in a blocking call, read by switching into it (block-site.ts). */
function suspendedStack(thread: GreenThread<any>): string | undefined {
  const fiber = thread.fiber;
  // Only a thread parked at its blocking call's yield can answer; not one
  // whose fiber is running (our caller, or under it), nor one suspended by
  // a raw Fiber.yield() (blockedOn undefined), which would resume user code.
  if (fiber === undefined || thread.blockedOn === undefined || fiber === Fiber.current) return undefined;
  stackProbe.target = thread;
  stackProbe.holder = undefined;
  try {
    fiber.run();
  } catch {
    // The engine refused the switch (the fiber is busy): no stack.
  } finally {
    stackProbe.target = undefined;
  }
  // Set by the probed thread (TypeScript cannot see fiber.run() do it).
  const holder = stackProbe.holder as { stack?: string } | undefined;
  stackProbe.holder = undefined;
  return holder === undefined ? undefined : userFrames(stackText(holder));
}

function stateOf(thread: GreenThread<any>): ThreadState | undefined {
  return stateNames[thread.state];
}

function spawnerOf(thread: GreenThread<any>, live: Map<number, GreenThread<any>> | undefined): Spawner | undefined {
  const id = thread.spawnerId;
  if (id === 0) return undefined;
  const spawner = live?.get(id);
  if (spawner !== undefined) return { id, name: spawner.name, thread: spawner };
  const name = thread.spawnerName;
  return { id, name: name === undefined || name === '' ? `GreenThread-${id}` : name, thread: undefined };
}

function describe(
  thread: GreenThread<any>,
  state: ThreadState,
  stacks: boolean,
  live: Map<number, GreenThread<any>> | undefined,
): ThreadInfo {
  const suspended = state === 'blocked' || state === 'ready';
  const blockedIn = suspended ? thread.blockedOn : undefined;
  let stack: string | undefined;
  if (stacks) {
    if (thread === currentTaskOrUndefined()) {
      const holder: { stack?: string } = {};
      Error.captureStackTrace(holder);
      stack = userFrames(stackText(holder));
    } else if (suspended) {
      stack = suspendedStack(thread);
    }
  }
  return {
    thread,
    id: thread.id,
    name: thread.name,
    state,
    blockedIn,
    blockedSince: blockedIn === undefined ? undefined : thread.blockedSince,
    stack,
    spawnedBy: spawnerOf(thread, live),
    pool: thread.pool,
  };
}

/**
 * Every live green thread (spawned and not finished), oldest first: its
 * name, state, the blocking call it is in and since when, its stack there,
 * the thread that spawned it and its pool. The equivalent of what gevent's
 * `gevent.util.format_run_info()` lists, as data; {@link formatRunInfo}
 * makes it text. Callable from the hub and from green threads; it does not
 * block. Threads are listed from a registry kept as they start and end
 * (a few field writes each); stacks are read only here.
 *
 * @example
 * ```js
 * for (const t of runInfo()) if (t.state === 'blocked') console.log(t.name, t.blockedIn);
 * ```
 */
export function runInfo(options: RunInfoOptions = {}): ThreadInfo[] {
  const stacks = checkOptions(options);
  const threads = liveThreads<GreenThread<any>>();
  const live = new Map<number, GreenThread<any>>();
  for (const t of threads) live.set(t.id, t);
  const describeAll = (): ThreadInfo[] => {
    const infos: ThreadInfo[] = [];
    for (const t of threads) {
      const state = stateOf(t);
      // Finished while an earlier thread's stack was read (cannot happen
      // today: nothing runs but the probes), or not a state to list.
      if (state === undefined) continue;
      infos.push(describe(t, state, stacks, live));
    }
    return infos;
  };
  return stacks ? withStackRoom(OWN_FRAMES_ALLOWANCE, describeAll) : describeAll();
}

function checkOptions(options: RunInfoOptions): boolean {
  if (options === null || typeof options !== 'object') {
    const error = new TypeError('runInfo(options): options must be an object such as { stacks: false }') as TypeError & { code: string };
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  return options.stacks !== false;
}

/** "1.25 s", "340 ms", "2 min 5 s". */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

const poolIds = new WeakMap<GreenPool, number>();
let poolCount = 0;

/** A pool as run info shows it: numbered in the order dumps first meet pools. */
function formatPool(pool: GreenPool): string {
  let id = poolIds.get(pool);
  if (id === undefined) {
    id = ++poolCount;
    poolIds.set(pool, id);
  }
  return `GreenPool#${id} (size ${pool.size}, ${pool.running()} running)`;
}

function formatState(info: ThreadInfo, now: number): string {
  switch (info.state) {
    case 'unstarted':
      return 'not started yet';
    case 'running':
      return 'running';
    case 'blocked':
      return info.blockedIn === undefined
        ? 'suspended outside any greenpatch call (a raw Fiber.yield())'
        : `blocked in ${info.blockedIn} for ${formatDuration(now - (info.blockedSince as number))}`;
    case 'ready':
      return info.blockedIn === undefined
        ? 'ready to resume'
        : `ready to resume from ${info.blockedIn} (called ${formatDuration(now - (info.blockedSince as number))} ago)`;
  }
}

function formatSpawner(spawner: Spawner | undefined): string {
  if (spawner === undefined) return 'spawned on the hub';
  return `spawned by #${spawner.id} ${spawner.name}${spawner.thread === undefined ? ' (finished)' : ''}`;
}

/**
 * {@link runInfo} as readable text, one paragraph per live green thread
 * (id, name, state, blocking call and for how long, spawner, pool, stack)
 * under a header line with the process id, the time and the count in each
 * state, like gevent's `format_run_info()`. What `GREENPATCH_DUMP_ON`
 * prints on its signal.
 *
 * @example
 * ```js
 * process.on('SIGUSR2', () => process.stderr.write(formatRunInfo()));
 * ```
 */
export function formatRunInfo(options: RunInfoOptions = {}): string {
  const infos = runInfo(options);
  const now = Date.now();
  const counts: Record<ThreadState, number> = { running: 0, blocked: 0, ready: 0, unstarted: 0 };
  for (const info of infos) counts[info.state]++;
  const where = currentTaskOrUndefined() as GreenThread<any> | undefined;
  const lines = [
    `greenpatch run info: pid ${process.pid}, ${new Date(now).toISOString()}, ` +
      `called ${where === undefined ? 'on the hub' : `in #${where.id} ${where.name}`}`,
    `${infos.length} live green thread${infos.length === 1 ? '' : 's'}: ` +
      (Object.keys(counts) as ThreadState[]).map((state) => `${counts[state]} ${state}`).join(', '),
  ];
  for (const info of infos) {
    lines.push('', `#${info.id} ${info.name}: ${formatState(info, now)}`);
    lines.push(`  ${formatSpawner(info.spawnedBy)}${info.pool === undefined ? '' : `, in ${formatPool(info.pool)}`}`);
    if (info.stack !== undefined && info.stack !== '') lines.push(info.stack);
  }
  return lines.join('\n') + '\n';
}

/** @internal `util.inspect(thread)`: the thread's public state, not its fields. */
export function inspectThread(
  thread: GreenThread<any>,
  depth: number,
  options: InspectOptionsStylized,
  inspect: typeof Inspect,
): string {
  const tag = options.stylize('GreenThread', 'special');
  if (depth < 0) return options.stylize(`[GreenThread #${thread.id} ${thread.name}]`, 'special');
  const shown: Record<string, unknown> = { id: thread.id, name: thread.name };
  const state = thread.dead ? 'dead' : stateOf(thread);
  shown.state = state;
  if (state === 'blocked' || state === 'ready') {
    if (thread.blockedOn !== undefined) {
      shown.blockedIn = thread.blockedOn;
      shown.blockedFor = formatDuration(Date.now() - thread.blockedSince);
    }
  } else if (state === 'dead') {
    if (thread.successful()) shown.value = thread.value;
    else shown.exception = thread.exception;
  }
  const spawner = spawnerOf(thread, undefined);
  shown.spawnedBy = spawner === undefined ? null : `#${spawner.id} ${spawner.name}`;
  const pool = thread.pool;
  if (pool !== undefined) shown.pool = `GreenPool (size ${pool.size}, ${pool.running()} running)`;
  const inner = { ...options, depth: options.depth === null || options.depth === undefined ? options.depth : options.depth - 1 };
  return `${tag} ${inspect(shown, inner)}`;
}
