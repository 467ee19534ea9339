// Stacks that lead to the caller. An error a blocking call throws was
// usually made somewhere else: in an I/O callback on the hub (a refused
// connection shows only `TCPConnectWrap.afterConnect`), in a promise chain
// (`wait(promise)`), in the thread that killed this one. As V8 appends
// `at async fn` frames to an error that crosses an `await`, the blocking
// call appends the green thread's own frames, captured where it resumes:
// the thread's stack is intact there, since the resumption happens inside
// the blocking call. Only the error path pays: nothing is captured unless
// an error is thrown back, and where V8 keeps `stack` as an accessor
// (Node 22+) the frames are formatted only when the stack is read.
import { types } from 'node:util';

import { captureWithRoom, isInternalFrame } from './internal-frames.js';

/** Errors already given their caller's frames: never twice, even when thrown into several threads. */
const extended = new WeakSet<object>();

/** greenpatch's frames above the caller (the blocking call's layers) and below it (the thread's start). */
const INTERNAL_FRAMES = 12;

/**
 * @internal Appends to `error`'s stack the frames of the current green
 * thread (the caller of the blocking call `what` it is about to be thrown
 * from), after a line naming the call and the thread. Must be called on the
 * thread's own stack, inside the blocking call. Leaves alone values that are
 * not errors, errors already extended, errors whose stack cannot be changed,
 * errors made on this very stack (they have the caller's frames already),
 * and every error when `Error.stackTraceLimit` is 0 or not a number.
 */
export function addCallerStack(error: unknown, what: string | undefined, thread: unknown): void {
  if (error === null || typeof error !== 'object' || extended.has(error)) return;
  if (!types.isNativeError(error) && !(error instanceof Error)) return;
  extended.add(error);
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number' || !(limit > 0)) return;
  // On Node 20 this formats the error's stack (V8 keeps it as a data property).
  const own = Object.getOwnPropertyDescriptor(error, 'stack');
  if (own === undefined || own.configurable !== true) return;
  const holder: { stack?: unknown } = {};
  captureWithRoom(holder, addCallerStack, INTERNAL_FRAMES);
  const name = (thread as { name?: unknown } | undefined)?.name;
  const header = `    at ${what ?? 'a blocking call'} (blocking call${typeof name === 'string' ? ` in green thread ${name}` : ''})`;
  const settle = (stack: unknown): void => {
    Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true, enumerable: own.enumerable === true });
  };
  if (own.get !== undefined) {
    const get = own.get;
    Object.defineProperty(error, 'stack', {
      configurable: true,
      enumerable: own.enumerable === true,
      get() {
        const stack = withCaller(Reflect.apply(get, error, []), holder.stack, header, limit);
        settle(stack);
        return stack;
      },
      set(value: unknown) {
        settle(value);
      },
    });
  } else if (own.writable === true) {
    settle(withCaller(own.value, holder.stack, header, limit));
  }
}

/** `stack` followed by `header` and the first `limit` frames of `captured` that are not greenpatch's. */
function withCaller(stack: unknown, captured: unknown, header: string, limit: number): unknown {
  if (typeof stack !== 'string' || typeof captured !== 'string') return stack;
  const frames: string[] = [];
  const lines = captured.split('\n');
  // lines[0] is the holder's own "Error" line.
  for (let i = 1; i < lines.length && frames.length < limit; i++) {
    const line = lines[i];
    if (!isInternalFrame(line)) frames.push(line);
  }
  // Nothing of the caller's, or an error made on this very stack: it says it already.
  if (frames.length === 0 || stack.includes(frames[0].trim())) return stack;
  return `${stack}\n${header}\n${frames.join('\n')}`;
}
