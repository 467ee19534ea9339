// Where errors nobody else will see go: an error that ended a green thread
// nobody waits for or links to, or one thrown by a callback the hub calls.
// Replaceable with setErrorHandler(); stderr by default.
import { codedError } from './errors.js';
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
