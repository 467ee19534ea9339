// The diagnostics_channel events of green threads, for APMs, tracers and
// tests. Each is published only when its channel has subscribers, so that
// the common path pays one property read per event.
import diagnosticsChannel = require('node:diagnostics_channel');
import type { GreenThread } from './greenthread.js';

/**
 * The names of the `node:diagnostics_channel` channels greenpatch publishes
 * green-thread events on. Subscribe with
 * `diagnostics_channel.subscribe(threadChannels.spawn, (message) => ...)`.
 *
 * | channel | when | message |
 * | --- | --- | --- |
 * | `greenpatch:thread:spawn` | a thread is created (spawn, spawnN, spawnAfter, pools, listener threads), before it starts | {@link ThreadSpawnMessage} |
 * | `greenpatch:thread:block` | a thread suspends in a blocking call, on its own stack | {@link ThreadBlockMessage} |
 * | `greenpatch:thread:resume` | a thread is switched back in from that call, on its own stack | {@link ThreadResumeMessage} |
 * | `greenpatch:thread:exit` | a thread has finished (returned, thrown or killed), on the hub | {@link ThreadExitMessage} |
 * | `greenpatch:thread:kill` | `kill()` is called on a thread that has not finished, before the error is delivered | {@link ThreadKillMessage} |
 *
 * Subscribers are called synchronously where the event happens and must not
 * block (no `sleep`, `wait`, ... inside them): `block` and `resume` run in
 * the middle of a switch.
 */
export const threadChannels = Object.freeze({
  spawn: 'greenpatch:thread:spawn',
  block: 'greenpatch:thread:block',
  resume: 'greenpatch:thread:resume',
  exit: 'greenpatch:thread:exit',
  kill: 'greenpatch:thread:kill',
} as const);

/** The message of `greenpatch:thread:spawn`. */
export interface ThreadSpawnMessage {
  /** The new thread (not started yet). */
  readonly thread: GreenThread<any>;
  /** The green thread that created it; undefined when it was created on the hub. */
  readonly spawnedBy: GreenThread<any> | undefined;
}

/** The message of `greenpatch:thread:block`. */
export interface ThreadBlockMessage {
  /** The thread suspending. */
  readonly thread: GreenThread<any>;
  /** The blocking call, as run info names it: `'sleep()'`, `'Queue.get()'`, `'socket.recv()'`... */
  readonly blockedIn: string;
}

/** The message of `greenpatch:thread:resume`. */
export interface ThreadResumeMessage {
  /** The thread switched back in. */
  readonly thread: GreenThread<any>;
  /** The blocking call it comes back from. */
  readonly blockedIn: string;
  /** When it blocked, in `Date.now()` milliseconds. */
  readonly blockedSince: number;
  /** True when the call is about to throw (a kill, a timeout, a failed operation) rather than return. */
  readonly threw: boolean;
}

/** The message of `greenpatch:thread:exit`. */
export interface ThreadExitMessage {
  /** The thread that finished. */
  readonly thread: GreenThread<any>;
  /** True when its function returned; false when it threw or was killed. */
  readonly successful: boolean;
  /** What ended it when not successful (the kill's error for a killed thread); undefined otherwise. */
  readonly error: unknown;
}

/** The message of `greenpatch:thread:kill`. */
export interface ThreadKillMessage {
  /** The thread being killed. */
  readonly thread: GreenThread<any>;
  /** The error raised in it (`GreenThreadExit` by default). */
  readonly error: unknown;
  /** The green thread that called `kill()`; undefined when called on the hub. */
  readonly killedBy: GreenThread<any> | undefined;
}

/** @internal */ export const spawnChannel = diagnosticsChannel.channel(threadChannels.spawn);
/** @internal */ export const blockChannel = diagnosticsChannel.channel(threadChannels.block);
/** @internal */ export const resumeChannel = diagnosticsChannel.channel(threadChannels.resume);
/** @internal */ export const exitChannel = diagnosticsChannel.channel(threadChannels.exit);
/** @internal */ export const killChannel = diagnosticsChannel.channel(threadChannels.kill);
