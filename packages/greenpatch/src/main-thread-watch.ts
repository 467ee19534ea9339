// The main green thread blocked for good. When Node's event loop runs dry
// while the entry's green thread is still blocked, nothing is left that could
// wake it (an empty Queue's get(), an Event nobody sets, sleep(Infinity)):
// stock Node would exit 0 and the code after the call would silently never
// run. As Node does for a top-level await that never settles, greenpatch says
// so on stderr and exits with status 13 (gevent raises LoopExit). The hub
// monitor (monitor.ts) uses the same test to list every other thread left
// blocked.
import type { GreenThread } from './greenthread.js';

/** Node's exit status for an unsettled top-level await, used for the same situation. */
export const BLOCKED_FOREVER_EXIT_CODE = 13;

const drainWatchers = new Set<() => void>();
// Set when the loop ran dry; cleared if work came back (a 'beforeExit'
// listener may schedule more), by an immediate that does not itself keep
// the loop alive.
let drained = false;

function onBeforeExit(): void {
  drained = true;
  setImmediate(() => {
    drained = false;
  }).unref();
}

function onExit(): void {
  // process.exit(code) sets exitCode: an explicit exit is the program's own
  // choice. Decided once, before any watcher sets an exit status of its own.
  if (!drained || process.exitCode !== undefined) return;
  for (const watcher of [...drainWatchers]) watcher();
}

/**
 * @internal Calls `watcher` at 'exit' when the process ends because its
 * event loop ran dry (not through process.exit() or an uncaught exception):
 * then nothing is left that could wake a blocked green thread. Returns a
 * function that stops watching.
 */
export function atDrainedExit(watcher: () => void): () => void {
  if (drainWatchers.size === 0) {
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
  }
  drainWatchers.add(watcher);
  return () => {
    if (!drainWatchers.delete(watcher) || drainWatchers.size > 0) return;
    process.off('beforeExit', onBeforeExit);
    process.off('exit', onExit);
  };
}

/**
 * Watches `thread` (the entry's green thread) until it finishes: if the
 * event loop empties while it is blocked, and the process is ending by
 * itself (not by process.exit()), it reports where the thread is blocked
 * and sets the exit status to 13.
 */
export function watchMainThread(thread: GreenThread<any>): void {
  if (thread.dead) return;
  const stop = atDrainedExit(() => {
    if (thread.dead) return;
    const where = (thread as unknown as { blockedOn?: string }).blockedOn ?? 'a blocking call';
    process.stderr.write(
      `greenpatch: the main green thread is blocked in ${where} and nothing is left that could wake it; ` +
        `exiting with status ${BLOCKED_FOREVER_EXIT_CODE}\n`,
    );
    process.exitCode = BLOCKED_FOREVER_EXIT_CODE;
  });
  thread.rawlink(stop);
}
