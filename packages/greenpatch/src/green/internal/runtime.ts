// The one door from the green modules into the hub: everything in green/
// that blocks a thread, asks whether it may, or runs a listener in a thread
// of its own goes through here, so that net, dns, http, the cooperative
// `*Sync` functions and the socket waiters depend on these few names only.
import type { EventEmitter } from 'node:events';

import { blockOn, currentTaskOrUndefined, requireTask, switchIn, type Register } from '../../hub.js';
import { captureRejection, closeAfterFailure } from './listener-failure.js';
import { GreenThread } from '../../greenthread.js';
import { codedError } from '../../errors.js';

export { codedError } from '../../errors.js';
export { MAX_TIMER } from '../../timer.js';
export { mayBlock, park, requireTask, wakeParked, type Register, type Task, type Waker } from '../../hub.js';

const SWITCH_NOW = { switchNow: true };

/**
 * Blocks the current green thread until `register`'s waker is resumed or
 * failed; returns the value or throws the error. kill() and Timeout
 * interrupt it, calling the cancel function `register` returns. Outside a
 * green thread it throws ERR_GREENPATCH_BLOCKING_ON_HUB naming `what`
 * (callers that fall back to Node's own ask {@link mayBlock} first).
 *
 * The wakers here fire from I/O callbacks on the hub: they switch into the
 * green thread right there rather than a hub turn later (the hub's
 * `switchNow`), so a socket's waiter runs while its data is fresh and a busy
 * server does not pay a setImmediate round per read.
 */
export function block<T>(what: string, register: Register<T>): T {
  return blockOn<T>(requireTask(what), what, register, SWITCH_NOW);
}

/**
 * Returns `error`, which an event-loop callback left for the next blocking
 * call (a socket's `errored`), with the caller's frames appended as the
 * hub appends them to an error a blocking call resumes with: `throw
 * callerError(stream.errored, 'socket.recv()')`.
 */
export function callerError<E>(error: E, what: string): E {
  // Loaded on this error path, not at start-up.
  const { addCallerStack } = require('../../caller-stack.js') as typeof import('../../caller-stack.js');
  addCallerStack(error, what, currentTaskOrUndefined());
  return error;
}

/**
 * Blocks until the emitter `start()` returns (a socket being connected, a
 * server being bound) emits `event`, then returns `done(emitter)`; throws
 * the emitter's 'error' if that comes first. Interrupted (kill, Timeout),
 * it takes its listeners off and calls `abandon(emitter)`.
 */
export function blockUntilEvent<E extends EventEmitter, T>(
  what: string,
  event: string,
  start: () => E,
  done: (emitter: E) => T,
  abandon: (emitter: E) => void,
): T {
  return block<T>(what, (k) => {
    const emitter = start();
    const onEvent = (): void => {
      emitter.off('error', onError);
      k.resume(done(emitter));
    };
    const onError = (error: Error): void => {
      emitter.off(event, onEvent);
      k.fail(error);
    };
    emitter.once(event, onEvent);
    emitter.once('error', onError);
    return () => {
      emitter.off(event, onEvent);
      emitter.off('error', onError);
      abandon(emitter);
    };
  });
}

/**
 * Calls `listener` with `thisArg` and `args` in a new green thread, started at
 * once: if it never blocks it has finished when this returns, and what it
 * throws is thrown here, exactly as a plain call would. If it blocks, this
 * returns when it first blocks; an error it throws after that ends its green
 * thread and goes to the hub's error handler, as for any spawned thread.
 *
 * With `serverEvent` (the event a server listener handles), a listener that
 * fails after it blocked also closes what it was serving (a 500, or the
 * socket destroyed), and a promise it returns is captured as EventEmitter
 * does for an emitter with `captureRejections`.
 */
export function runGreen(listener: Function, thisArg: unknown, args: unknown[], serverEvent?: string | symbol): void {
  const call = new ListenerCall(listener, thisArg, args, serverEvent);
  // Named after the listener, not after callListener.
  const thread = new GreenThread<void>(callListener, [call], true, undefined, listener);
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
    /** The server event the listener handles ('request', 'connection'...), if it is one. */
    readonly serverEvent: string | symbol | undefined,
  ) {}
}

function callListener(call: ListenerCall): void {
  call.started = true;
  try {
    const result = Reflect.apply(call.listener, call.thisArg, call.args);
    if (call.serverEvent !== undefined) captureRejection(call.thisArg, result, call.serverEvent, call.args);
  } catch (error) {
    if (call.returned) {
      if (call.serverEvent !== undefined) closeAfterFailure(call.args);
      throw error;
    }
    call.threwEarly = true;
    call.early = error;
  }
}
