// Where errors nobody else will see go: an error that ended a green thread
// nobody waits for or links to, or one thrown by a callback the hub calls.
// Replaceable with setErrorHandler(); stderr by default. A thread's error
// can instead be made fatal (setUnwaitedErrorPolicy, GREENPATCH_UNWAITED_ERRORS),
// raised as Node raises an uncaught exception.
import { codedError, describeValue } from './errors.js';
import type { GreenThread } from './greenthread.js';

/**
 * The green thread an unhandled error belongs to: the thread itself, or,
 * when it was garbage collected before its error could be reported, just its
 * name (`thread instanceof GreenThread` tells which).
 */
export type ReportedThread = GreenThread<any> | Pick<GreenThread<any>, 'name'>;

/**
 * Called with errors nobody else will see: an error that ended a green
 * thread nobody waits for or links to, or one thrown by a link callback.
 * `thread` is the green thread concerned, when there is one.
 */
export type ErrorHandler = (error: unknown, thread: ReportedThread | undefined) => void;

function defaultErrorHandler(error: unknown, thread: ReportedThread | undefined): void {
  const name =
    thread !== undefined && thread !== null && typeof (thread as { name?: unknown }).name === 'string'
      ? ` ${(thread as { name: string }).name}`
      : '';
  const detail = error instanceof Error && error.stack !== undefined ? error.stack : String(error);
  process.stderr.write(`greenpatch: unhandled error in green thread${name}:\n${detail}\n`);
}

let errorHandler: ErrorHandler = defaultErrorHandler;

/**
 * Replaces the handler of unhandled green-thread errors (by default they are
 * written to stderr with their stack). Pass `null` to restore the default.
 * Returns the previous handler. A handler that throws is reported to stderr.
 *
 * @example
 * ```ts
 * setErrorHandler((error, thread) => logger.error({ error, thread: thread?.name }));
 * ```
 */
export function setErrorHandler(handler: ErrorHandler | null): ErrorHandler {
  if (handler !== null && typeof handler !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "handler" argument must be a function or null', TypeError);
  }
  const previous = errorHandler;
  errorHandler = handler ?? defaultErrorHandler;
  return previous;
}

/** Hands `error` to the error handler (see {@link setErrorHandler}). Never throws. */
export function reportError(error: unknown, thread?: ReportedThread): void {
  try {
    errorHandler(error, thread);
  } catch (handlerError) {
    try {
      defaultErrorHandler(error, thread);
      defaultErrorHandler(handlerError, undefined);
    } catch {
      // stderr itself failed: nothing more can be done.
    }
  }
}

/**
 * What happens to an error that ended a green thread nobody waits for or
 * links to: `'report'` (the default) hands it to the error handler (see
 * {@link setErrorHandler}) and the process goes on, its exit status
 * untouched; `'fatal'` raises it as an uncaught exception, as Node does for
 * an error thrown from a callback.
 */
export type UnwaitedErrorPolicy = 'report' | 'fatal';

const POLICIES: readonly string[] = ['report', 'fatal'];
let policy: UnwaitedErrorPolicy | undefined;

/** @internal The policy GREENPATCH_UNWAITED_ERRORS asks for; ERR_GREENPATCH_INVALID_ENV for a value that is not one. */
export function policyFromEnv(): UnwaitedErrorPolicy {
  const value = process.env.GREENPATCH_UNWAITED_ERRORS?.trim() ?? '';
  if (value === '') return 'report';
  if (!POLICIES.includes(value)) {
    throw codedError(
      'ERR_GREENPATCH_INVALID_ENV',
      `GREENPATCH_UNWAITED_ERRORS must be 'report' or 'fatal', not ${describeValue(value)}`,
    );
  }
  return value as UnwaitedErrorPolicy;
}

/** The policy in force: the one set by {@link setUnwaitedErrorPolicy}, else GREENPATCH_UNWAITED_ERRORS's, else `'report'`. */
export function getUnwaitedErrorPolicy(): UnwaitedErrorPolicy {
  return (policy ??= policyFromEnv());
}

/**
 * Sets what happens to an error that ends a green thread nobody waits for
 * (`wait()`, `joinAll()`, `iwait()`) or links to; returns the previous
 * policy. The default, `'report'`, hands it to the error handler (stderr)
 * and leaves the exit status alone. With `'fatal'` the error is raised as an
 * uncaught exception once it counts as unwaited (at once for a `spawnN()`
 * thread; for a `spawn()`ed one when its handle is garbage collected or the
 * event loop runs dry): `process.on('uncaughtException')` handlers receive
 * it, and without one Node prints it and exits with status 1. The
 * environment variable `GREENPATCH_UNWAITED_ERRORS=fatal` sets it too.
 *
 * @throws `ERR_INVALID_ARG_VALUE` for anything but `'report'` or `'fatal'`.
 */
export function setUnwaitedErrorPolicy(value: UnwaitedErrorPolicy): UnwaitedErrorPolicy {
  if (typeof value !== 'string' || !POLICIES.includes(value)) {
    throw codedError(
      'ERR_INVALID_ARG_VALUE',
      `The unwaited-error policy must be 'report' or 'fatal', not ${describeValue(value)}`,
      TypeError,
    );
  }
  const previous = getUnwaitedErrorPolicy();
  policy = value;
  return previous;
}

/** @internal Whether the 'fatal' policy is in force; a bad GREENPATCH_UNWAITED_ERRORS is reported (once) and counts as 'report'. */
export function unwaitedErrorsAreFatal(): boolean {
  try {
    return getUnwaitedErrorPolicy() === 'fatal';
  } catch (envError) {
    policy = 'report';
    reportError(envError, undefined);
    return false;
  }
}

/**
 * @internal Called with the error that ended `thread`, once nobody can wait
 * for it any more: reported, or raised as an uncaught exception under the
 * 'fatal' policy.
 */
export function reportUnwaitedError(error: unknown, thread: ReportedThread): void {
  if (!unwaitedErrorsAreFatal()) {
    reportError(error, thread);
    return;
  }
  process.nextTick(raiseUncaught, error, thread.name);
}

/**
 * Throws `error` from a tiny script of its own, so that Node's report of the
 * uncaught exception shows, above the error's stack, a line saying where it
 * comes from rather than a line of greenpatch's code.
 */
function raiseUncaught(error: unknown, name: unknown): void {
  // Inside a line comment: nothing in the name may end the line.
  const who = JSON.stringify(String(name)).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  // vm is loaded here, when such an error is raised, not at every start-up.
  const { Script } = require('node:vm') as typeof import('node:vm');
  const thrower = new Script(
    `(function (error) {\nthrow error; // green thread ${who} ended with this error and nobody waits for it (unwaited-error policy: fatal)\n})`,
    { filename: 'greenpatch:unwaited-error' },
  ).runInThisContext() as (error: unknown) => never;
  thrower(error);
}
