// greenpatch/green/child_process: Node's `child_process`, where `spawnSync`,
// `execSync` and `execFileSync`, called inside a green thread, block only that
// green thread. They are Node's own functions, called as they are, with only
// their one call of Node's `spawn_sync` binding made cooperative: the rule
// and how are in internal/spawn-cooperative.ts; the functions, which the
// `child_process` patch puts on Node's module too, in
// internal/child-process-sync.ts.
import { childProcessSyncApi } from './internal/child-process-sync.js';

export * from 'node:child_process';

// The names of node:child_process for ESM importers (Node reads a CommonJS
// module's named exports from its source and does not follow the re-export
// of a builtin above). This never runs.
if ((0 as number) === 1) {
  exports.ChildProcess = exports.exec = exports.execFile = exports.execFileSync = exports.execSync = exports.fork = exports.spawn = exports.spawnSync = exports._forkChild = undefined;
}

const api = childProcessSyncApi();

/**
 * `child_process.spawnSync`, cooperative: inside a green thread it blocks
 * only that thread until the child has exited and its pipes are closed, and
 * returns what stock returns (`pid`, `output`, `stdout`, `stderr`, `status`,
 * `signal`, and `error` for a spawn failure, `ETIMEDOUT` after `timeout`,
 * `ENOBUFS` past `maxBuffer`, `EPIPE` for unread `input`). Arguments are
 * read and validated by Node's own spawnSync, which throws its own errors.
 * Outside a green thread it is Node's own. A handle or stream in `stdio`
 * (which stock refuses with `EINVAL`) is left to Node's own.
 *
 * If the green thread is killed (or a `Timeout` fires) while the child runs,
 * the child is sent `killSignal` and its pipes are closed.
 */
export const spawnSync = api.spawnSync;

/**
 * `child_process.execSync`, cooperative: Node's own execSync, whose child
 * runs as with {@link spawnSync}; inside a green thread only that thread
 * waits. Returns and throws what stock does, and copies the child's stderr
 * to `process.stderr` unless `stdio` is given, as stock does.
 */
export const execSync = api.execSync;

/**
 * `child_process.execFileSync`, cooperative: Node's own execFileSync, whose
 * child runs as with {@link spawnSync}; inside a green thread only that
 * thread waits. Returns and throws what stock does.
 */
export const execFileSync = api.execFileSync;
