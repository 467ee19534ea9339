// The one place where the green modules meet the hub: suspend the current
// green thread until a callback fires, know whether we are in one, and run a
// listener in a green thread of its own. Keeping this narrow means net, dns and
// http depend on a handful of the hub's functions only.
import { block, inGreenThread as hubInGreenThread, switchIn, type WakerImpl } from '../hub.js';
import { GreenThread } from '../greenthread.js';
import { codedError as makeCodedError } from '../errors.js';

/** A continuation handed to `suspend`'s register function. */
export interface Continuation<T> {
  resume(value: T): void;
  fail(error: unknown): void;
}

/** Our own errors carry a `code`, as Node's do. */
export function codedError(code: string, message: string): Error & { code: string } {
  return makeCodedError(code, message);
}

/** True inside a green thread, where blocking calls may suspend. */
export function inGreenThread(): boolean {
  return hubInGreenThread();
}

/**
 * Suspends the current green thread until `register`'s continuation is
 * resumed or failed; returns the value or throws the error (the hub's
 * `block`, so kill() and Timeout interrupt it, calling the cancel function
 * `register` returns). Outside a green thread it throws
 * ERR_GREENPATCH_BLOCKING_ON_HUB naming `what`.
 *
 * The continuations fire from I/O callbacks on the hub; they switch into the
 * green thread right there rather than a hub turn later, as the hub's own
 * timers and promise reactions do: a socket's waiter runs while its data is
 * fresh, and a busy server does not pay a setImmediate round per read.
 */
export function suspend<T>(what: string, register: (k: Continuation<T>) => (() => void) | void): T {
  return block<T>(what, (wake) => {
    const w = wake as WakerImpl<T>;
    return register({
      resume: (value) => w.resumeNow(value),
      fail: (error) => w.failNow(error),
    });
  });
}

/**
 * Calls `listener` with `thisArg` and `args` in a new green thread, started at
 * once: if it never blocks it has finished when this returns, and what it
 * throws is thrown here, exactly as a plain call would. If it blocks, this
 * returns when it first blocks; an error it throws after that ends its green
 * thread and goes to the hub's error handler, as for any spawned thread.
 */
export function runGreen(listener: Function, thisArg: unknown, args: unknown[]): void {
  const call = new ListenerCall(listener, thisArg, args);
  const thread = new GreenThread<void>(callListener, [call], true);
  // Switched in right here, so the listener starts in the emitter's async
  // context, as EventEmitter calls it.
  switchIn(thread);
  call.returned = true;
  if (call.threwEarly) throw call.early;
  if (!call.started) throw codedError('ERR_GREENPATCH_INTERNAL', 'A listener green thread did not start');
}

/** One listener call run by runGreen, and how far it got. A class, not a closure per call: servers make one per event. */
class ListenerCall {
  started = false;
  /** runGreen has returned: what the listener throws from now on ends its thread instead. */
  returned = false;
  threwEarly = false;
  early: unknown = undefined;
  constructor(
    readonly listener: Function,
    readonly thisArg: unknown,
    readonly args: unknown[],
  ) {}
}

function callListener(call: ListenerCall): void {
  call.started = true;
  try {
    Reflect.apply(call.listener, call.thisArg, call.args);
  } catch (error) {
    if (call.returned) throw error;
    call.threwEarly = true;
    call.early = error;
  }
}
