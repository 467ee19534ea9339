// The main green thread blocked for good. When Node's event loop runs dry
// while the entry's green thread is still blocked, nothing is left that could
// wake it (an empty Queue's get(), an Event nobody sets, sleep(Infinity)):
// stock Node would exit 0 and the code after the call would silently never
// run. As Node does for a top-level await that never settles, greenpatch says
// so on stderr and exits with status 13 (gevent raises LoopExit).
import type { GreenThread } from './greenthread.js';

/** Node's exit status for an unsettled top-level await, used for the same situation. */
export const BLOCKED_FOREVER_EXIT_CODE = 13;

/**
 * Watches `thread` (the entry's green thread) until it finishes: if the
 * event loop empties while it is blocked, and the process is ending by
 * itself (not by process.exit()), it reports where the thread is blocked
 * and sets the exit status to 13.
 */
export function watchMainThread(thread: GreenThread<any>): void {
  if (thread.dead) return;
  // Set when the loop ran dry; cleared if work came back (a 'beforeExit'
  // listener may schedule more), by an immediate that does not itself keep
  // the loop alive.
  let drained = false;
  const onBeforeExit = (): void => {
    if (thread.dead) return;
    drained = true;
    setImmediate(() => {
      drained = false;
    }).unref();
  };
  const onExit = (): void => {
    // process.exit(code) sets exitCode: an explicit exit is the program's own choice.
    if (!drained || thread.dead || process.exitCode !== undefined) return;
    const where = (thread as unknown as { blockedOn?: string }).blockedOn ?? 'a blocking call';
    process.stderr.write(
      `greenpatch: the main green thread is blocked in ${where} and nothing is left that could wake it; ` +
        `exiting with status ${BLOCKED_FOREVER_EXIT_CODE}\n`,
    );
    process.exitCode = BLOCKED_FOREVER_EXIT_CODE;
  };
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  thread.rawlink(() => {
    process.off('beforeExit', onBeforeExit);
    process.off('exit', onExit);
  });
}
