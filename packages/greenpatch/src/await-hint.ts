// The await hint. The commonest way to reach a blocking call on the hub is
// an `await` inside a green thread: the code after it is a promise
// continuation, which V8 runs from the microtask queue on the hub, outside
// the thread that awaited. ERR_GREENPATCH_BLOCKING_ON_HUB says so when it is
// the case. Only computed when that error is being made.
import { executionAsyncId, executionAsyncResource } from 'node:async_hooks';

import { isInternalFrame } from './internal-frames.js';

/** Frames looked at to find where the current synchronous stack starts. */
const STACK_DEPTH = 200;

/**
 * @internal True when the caller runs in a promise continuation: code
 * after an `await`, a `.then()` callback, or the rest of an ES module after
 * a top-level `await`. With promise hooks on (AsyncLocalStorage on Node
 * 20/22) the current async resource is then the promise whose reaction
 * runs; without them, reactions run outside every callback scope, at async
 * id 0. Of what else runs there ('exit' and 'unhandledRejection' listeners,
 * ES modules being evaluated, Node's own loops between callbacks), a
 * reaction is told by who called it: V8's microtask runner, which leaves no
 * frame, from Node's tick queue or straight from the event loop; the others
 * have an emitter or the module loader below them.
 */
export function inPromiseContinuation(): boolean {
  if (!(executionAsyncResource() instanceof Promise) && executionAsyncId() !== 0) return false;
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = STACK_DEPTH;
    Error.prepareStackTrace = (_error, sites: NodeJS.CallSite[]) => startedByMicrotask(sites);
    Error.captureStackTrace(holder);
    return holder.stack === true;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** Whether the lowest user frame of the synchronous stack in `sites` was called by the microtask runner. */
function startedByMicrotask(sites: NodeJS.CallSite[]): boolean {
  let i = sites.length - 1;
  while (i >= 0 && (sites[i].isAsync() || isNodes(sites[i].getFileName()))) i--;
  if (i < 0) return false;
  // An await resumes the async function itself: greenpatch's own frames
  // at the bottom are its hub (a link callback, a thread's start), not one.
  const lowest = sites[i].getFileName();
  if (lowest !== undefined && lowest !== null && isInternalFrame(lowest)) return false;
  const caller = sites[i + 1]?.getFileName();
  return i + 1 === sites.length || (typeof caller === 'string' && caller.startsWith('node:internal/process/task_queues'));
}

/** Node's own code, or a builtin with no source (Array.prototype.forEach...). */
function isNodes(file: string | null | undefined): boolean {
  return file === undefined || file === null || file.startsWith('node:');
}

/** @internal What ERR_GREENPATCH_BLOCKING_ON_HUB adds when the call comes from a promise continuation. */
export const AWAIT_HINT =
  '. It was called in a promise continuation (code after an `await`, or a .then() callback), which runs on the hub: ' +
  'an `await` moves the code after it out of its green thread. In a green thread, use wait(promise) instead of `await`; ' +
  'or run the blocking code in a green thread of its own (spawn(), or greenify() for a callback)';
