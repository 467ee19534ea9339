// What the hub notes about a blocking call for run info and the
// diagnostics channels: its name, when it began, and, only when run info
// asks, the stack at the call.
//
// The stack is not captured when the thread blocks: an Error per blocking
// call would cost more than the switch itself. Run info instead switches
// into the suspended thread for a moment (stackProbe): the thread, waiting
// in suspendTask() at its Fiber.yield(), sees that it is the probe's
// target, records its own stack and yields straight back, never returning
// from the blocking call. Nothing of the thread runs but that.
import Fiber = require('@greenpatch/fibers');
import type { GreenThread } from './greenthread.js';
import type { Task } from './hub.js';
import { blockChannel, resumeChannel } from './thread-channels.js';

/** @internal Marks `task` as suspending in the call `what`, now. */
export function noteBlock(task: Task, what: string): void {
  task.blockedOn = what;
  task.blockedSince = Date.now();
  if (blockChannel.hasSubscribers) blockChannel.publish({ thread: task as GreenThread, blockedIn: what });
}

/** @internal On `task`'s own stack, switched back in from its blocking call. */
export function noteResumed(task: Task): void {
  if (resumeChannel.hasSubscribers) {
    resumeChannel.publish({
      thread: task as GreenThread,
      blockedIn: task.blockedOn,
      blockedSince: task.blockedSince,
      threw: task.resumeThrows,
    });
  }
}

/**
 * @internal The request run info makes of a suspended thread: while
 * `target` is the thread, each switch into it is a request for its stack.
 */
export const stackProbe = {
  target: undefined as Task | undefined,
  /**
   * What the target recorded its stack on: V8 keeps the frames and formats
   * `.stack` when it is first read, which run info does back on its own
   * stack (so that an `Error.prepareStackTrace` runs there, not here).
   */
  holder: undefined as { stack?: string } | undefined,
  /** On the target's stack: records it and yields back to whoever switched in. */
  answer(): void {
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, stackProbe.answer);
    stackProbe.holder = holder;
    Fiber.yield();
  },
};
