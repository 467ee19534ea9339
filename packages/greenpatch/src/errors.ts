// The errors greenpatch throws. Each carries a Node-style `code`.
import { inspect } from 'node:util';

/**
 * @internal A received value for an error message. Never throws: String()
 * does on null-prototype objects and on objects whose toString throws.
 */
export function describeValue(value: unknown): string {
  return inspect(value, { depth: 0, breakLength: Infinity, maxStringLength: 40, maxArrayLength: 5 });
}

/** An `Error` (or subclass) carrying a Node-style `code`. */
export type CodedError = Error & { code: string };

/** Builds an error of class `Base` with a `code`, the way Node's own errors carry one. */
export function codedError(
  code: string,
  message: string,
  Base: new (message: string) => Error = Error,
): CodedError {
  const error = new Base(message) as CodedError;
  error.code = code;
  return error;
}

/**
 * The default error of `GreenThread.kill()`: it unwinds the green thread
 * (its `finally` blocks run) and is not reported as an unhandled error.
 * `wait()` on a thread that ended this way throws it.
 */
export class GreenThreadExit extends Error {
  /** Always `'ERR_GREENPATCH_THREAD_EXIT'`. */
  readonly code = 'ERR_GREENPATCH_THREAD_EXIT';
  constructor(message = 'The green thread was killed') {
    super(message);
    this.name = 'GreenThreadExit';
  }
}

/**
 * Thrown by a blocking call that a `Timeout` (or a `timeout` option)
 * interrupted. `timeout` is the `Timeout` that fired, when there is one, so
 * that nested timeouts can tell whose error it is.
 */
export class TimeoutError extends Error {
  /** Always `'ERR_GREENPATCH_TIMEOUT'`. */
  readonly code = 'ERR_GREENPATCH_TIMEOUT';
  /** The `Timeout` object that raised this error, if any. */
  readonly timeout: unknown;
  constructor(message = 'The operation timed out', timeout?: unknown) {
    super(message);
    this.name = 'TimeoutError';
    this.timeout = timeout;
  }
}

/** Thrown by `putNowait()` (or `put()` with a timeout) on a full queue. */
export class Full extends Error {
  /** Always `'ERR_GREENPATCH_QUEUE_FULL'`. */
  readonly code = 'ERR_GREENPATCH_QUEUE_FULL';
  constructor(message = 'The queue is full') {
    super(message);
    this.name = 'Full';
  }
}

/** Thrown by `getNowait()` (or `get()` with a timeout) on an empty queue. */
export class Empty extends Error {
  /** Always `'ERR_GREENPATCH_QUEUE_EMPTY'`. */
  readonly code = 'ERR_GREENPATCH_QUEUE_EMPTY';
  constructor(message = 'The queue is empty') {
    super(message);
    this.name = 'Empty';
  }
}

/** @internal Throws ERR_OUT_OF_RANGE unless `n` is an integer >= `min` (or Infinity when allowed). */
export function checkCount(name: string, n: unknown, min: number, allowInfinity = false): number {
  if (typeof n !== 'number' || Number.isNaN(n) || n < min || (!Number.isInteger(n) && !(allowInfinity && n === Infinity))) {
    throw codedError(
      'ERR_OUT_OF_RANGE',
      `The "${name}" argument must be an integer >= ${min}${allowInfinity ? ' or Infinity' : ''}; received ${describeValue(n)}`,
      RangeError,
    );
  }
  return n;
}

/** @internal Throws ERR_OUT_OF_RANGE unless `ms` is a non-negative number (Infinity allowed). */
export function checkMs(name: string, ms: unknown): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw codedError(
      'ERR_OUT_OF_RANGE',
      `The "${name}" argument must be a number of milliseconds >= 0; received ${describeValue(ms)}`,
      RangeError,
    );
  }
  return ms;
}

/** @internal Throws ERR_INVALID_ARG_TYPE unless `fn` is a function. */
export function checkFunction(name: string, fn: unknown): void {
  if (typeof fn !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be a function`, TypeError);
  }
}
