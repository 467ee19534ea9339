// greenpatch/green/fs: Node's `fs`, where the `*Sync` functions that do I/O,
// called inside a green thread, block only that green thread: each runs as
// its callback form (on libuv's thread pool, like the rest of Node's
// asynchronous fs) while the hub serves the other green threads. Results and
// errors are those of the callback form, which Node builds as the sync form
// does (`errno`, `code`, `syscall`, `path`, `dest`). Outside a green thread,
// on the hub, and when Node itself is the caller (its module loader, its
// internals), they are Node's own functions.
import fs = require('node:fs');

import { cooperate, cooperativeSync, FALLBACK, withoutTrailingUndefined, type Done } from './internal/cooperative.js';

export * from 'node:fs';

// The names of node:fs (Node 20 to 26) for ESM importers: Node reads a
// CommonJS module's named exports from its source and does not follow the
// re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.appendFile = exports.appendFileSync = exports.access = exports.accessSync = exports.chown = exports.chownSync = exports.chmod = exports.chmodSync = exports.close = exports.closeSync = exports.copyFile = exports.copyFileSync = exports.cp = exports.cpSync = exports.createReadStream = exports.createWriteStream = exports.exists = exports.existsSync = exports.fchown = exports.fchownSync = exports.fchmod = exports.fchmodSync = exports.fdatasync = exports.fdatasyncSync = exports.fstat = exports.fstatSync = exports.fsync = exports.fsyncSync = exports.ftruncate = exports.ftruncateSync = exports.futimes = exports.futimesSync = exports.glob = exports.globSync = exports.lchown = exports.lchownSync = exports.lchmod = exports.lchmodSync = exports.link = exports.linkSync = exports.lstat = exports.lstatSync = exports.lutimes = exports.lutimesSync = exports.mkdir = exports.mkdirSync = exports.mkdtemp = exports.mkdtempSync = exports.mkdtempDisposableSync = exports.open = exports.openSync = exports.openAsBlob = exports.openAsBlobSync = exports.readdir = exports.readdirSync = exports.read = exports.readSync = exports.readv = exports.readvSync = exports.readFile = exports.readFileSync = exports.readlink = exports.readlinkSync = exports.realpath = exports.realpathSync = exports.rename = exports.renameSync = exports.rm = exports.rmSync = exports.rmdir = exports.rmdirSync = exports.stat = exports.statfs = exports.statSync = exports.statfsSync = exports.symlink = exports.symlinkSync = exports.truncate = exports.truncateSync = exports.unwatchFile = exports.unlink = exports.unlinkSync = exports.utimes = exports.utimesSync = exports.watch = exports.watchFile = exports.writeFile = exports.writeFileSync = exports.write = exports.writeSync = exports.writev = exports.writevSync = exports.Dirent = exports.Stats = exports.ReadStream = exports.WriteStream = exports.FileReadStream = exports.FileWriteStream = exports.Utf8Stream = exports._toUnixTimestamp = exports.Dir = exports.opendir = exports.opendirSync = exports.F_OK = exports.R_OK = exports.W_OK = exports.X_OK = exports.constants = exports.promises = undefined;
}

/**
 * The `*Sync` functions made cooperative, each with its callback form. Left
 * out on purpose: `cpSync` and `globSync` (their callback forms are separate
 * implementations whose errors and ordering differ), `mkdtempDisposableSync`
 * and `openAsBlobSync` (no callback form), and `watch`/`watchFile` (not
 * blocking). Every one listed does I/O that can take arbitrarily long (a slow
 * disk, a network file system, a FIFO), so all go to the thread pool, at the
 * cost of one round trip (tens of microseconds) per call; the one exception
 * is writes to fd 1 and 2 (see `toStdio` below).
 */
const pairs = [
  'access', 'appendFile', 'chmod', 'chown', 'close', 'copyFile', 'fchmod', 'fchown', 'fdatasync', 'fstat',
  'fsync', 'ftruncate', 'futimes', 'lchmod', 'lchown', 'link', 'lstat', 'lutimes', 'mkdir', 'mkdtemp', 'open',
  'opendir', 'read', 'readdir', 'readFile', 'readlink', 'readv', 'realpath', 'rename', 'rm', 'rmdir', 'stat',
  'statfs', 'symlink', 'truncate', 'unlink', 'utimes', 'write', 'writeFile', 'writev',
] as const;

type AnyFunction = (...args: any[]) => any;

/** Extra handling for a few functions whose sync form differs from a plain "callback value". */
interface Special {
  /** The result came back after the caller was gone: release it. */
  onLate?: (value: any) => void;
  /** Given the error of the callback form, whether to rerun the original instead (its exact behaviour). */
  rerunOn?: (error: any, args: unknown[]) => boolean;
  /** Given the arguments, whether the call stays synchronous. */
  inline?: (args: unknown[]) => boolean;
}

/**
 * Writes to the process's own stdout and stderr (fd 1 and 2) stay
 * synchronous: they are log lines, fast, and keeping them synchronous keeps
 * their order with `process.stdout`/`process.stderr` writes, which Node
 * itself performs synchronously for files and terminals.
 */
const toStdio = (args: unknown[]) => args[0] === 1 || args[0] === 2;

const always = () => true;

/**
 * The error of a failed read-only call is taken from the original, which
 * repeats the call: on some Node majors the sync form builds its error
 * differently from the callback form (no `path` on EISDIR from
 * `readFileSync`, no `path` from `opendirSync`, the template rather than the
 * tried name from `mkdtempSync`), and repeating a call that failed and
 * changed nothing is harmless and quick. Calls that change things (writes,
 * renames, removals) are never repeated; their callback forms' errors match.
 */
const specials: Record<string, Special> = {
  open: { onLate: (fd: number) => fs.close(fd, () => {}), rerunOn: always },
  opendir: { onLate: (dir: fs.Dir) => dir.close(() => {}), rerunOn: always },
  access: { rerunOn: always },
  readFile: { rerunOn: always },
  readdir: { rerunOn: always },
  readlink: { rerunOn: always },
  realpath: { rerunOn: always },
  'realpath.native': { rerunOn: always },
  mkdtemp: { rerunOn: always },
  statfs: { rerunOn: always },
  fstat: { rerunOn: always },
  // `throwIfNoEntry: false` returns undefined for a missing entry, and
  // which errors count as missing differs between Node majors.
  stat: { rerunOn: always },
  lstat: { rerunOn: always },
  write: { inline: toStdio },
  writev: { inline: toStdio },
};

function makeCooperative(name: string, syncFn: AnyFunction, asyncFn: AnyFunction, owner: object): AnyFunction {
  const special = specials[name] ?? {};
  const what = `fs.${name}Sync()`;
  const body = function (this: unknown, args: unknown[]) {
    // Only an error the operation itself reported may be answered by the
    // original; a kill() or Timeout interrupting the wait propagates.
    let reported: unknown = undefined;
    try {
      return cooperate<unknown>(
        what,
        (done: Done<unknown>) =>
          Reflect.apply(asyncFn, owner, [
            ...withoutTrailingUndefined(args),
            (error: unknown, value?: unknown) => {
              if (error) reported = error;
              done(error, value);
            },
          ]),
        undefined,
        special.onLate,
      );
    } catch (error) {
      if (error === reported && special.rerunOn?.(error, args)) return Reflect.apply(syncFn, this, args);
      throw error;
    }
  };
  return cooperativeSync(syncFn, body, { inline: special.inline, originalForNode: true });
}

/** The cooperative functions, by export name (`readFileSync`, ...): what the `fs` patch installs. */
export const syncFunctions: Record<string, AnyFunction> = {};

for (const name of pairs) {
  const syncFn = (fs as any)[`${name}Sync`];
  const asyncFn = (fs as any)[name];
  if (typeof syncFn !== 'function' || typeof asyncFn !== 'function') continue; // e.g. lchmod off macOS
  syncFunctions[`${name}Sync`] = makeCooperative(name, syncFn, asyncFn, fs);
}

// realpathSync.native (the libuv realpath) pairs with realpath.native.
if (syncFunctions.realpathSync !== undefined && typeof fs.realpathSync.native === 'function') {
  Object.defineProperty(syncFunctions.realpathSync, 'native', {
    value: makeCooperative('realpath.native', fs.realpathSync.native, fs.realpath.native, fs.realpath),
    writable: true,
    configurable: true,
    enumerable: true,
  });
}

{
  // existsSync never throws: a bad path or any error means false. Its
  // callback form (`fs.exists`) is deprecated, so access(F_OK) stands in.
  syncFunctions.existsSync = cooperativeSync(
    fs.existsSync,
    ([path]) =>
      cooperate<boolean>('fs.existsSync()', (done) =>
        fs.access(path as fs.PathLike, fs.constants.F_OK, (error) => done(null, !error)),
      ),
    { originalForNode: true },
  );
}

/**
 * The cooperative fs functions, one per `*Sync` function listed above, each
 * taking the arguments of Node's and returning or throwing what Node's does.
 * Inside a green thread they block only that thread while libuv's thread
 * pool does the I/O; elsewhere they are Node's own.
 */
export const {
  accessSync, appendFileSync, chmodSync, chownSync, closeSync, copyFileSync, existsSync, fchmodSync, fchownSync,
  fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, lchmodSync, lchownSync, linkSync, lstatSync,
  lutimesSync, mkdirSync, mkdtempSync, openSync, opendirSync, readSync, readdirSync, readFileSync, readlinkSync,
  readvSync, realpathSync, renameSync, rmSync, rmdirSync, statSync, statfsSync, symlinkSync, truncateSync,
  unlinkSync, utimesSync, writeSync, writeFileSync, writevSync,
} = syncFunctions as unknown as typeof fs;

/**
 * Cooperative `Dir.prototype.readSync` and `closeSync` (for `opendirSync`'s
 * and `opendir`'s `Dir`): inside a green thread they run as `dir.read()` and
 * `dir.close()` with a callback, blocking only that thread; elsewhere they
 * are Node's own. Keyed by method name; each entry makes the replacement from
 * the original method, as the patcher's `members` expect.
 */
export const dirMethods: Record<'readSync' | 'closeSync', (original: AnyFunction) => AnyFunction> = {
  readSync: (original) => dirMethod(original, 'read'),
  closeSync: (original) => dirMethod(original, 'close'),
};

function dirMethod(original: AnyFunction, asyncName: 'read' | 'close'): AnyFunction {
  const what = `fs.Dir.${asyncName}Sync()`;
  return cooperativeSync(
    original,
    function (this: unknown) {
      const asyncFn = (this as any)?.[asyncName];
      if (typeof asyncFn !== 'function') return FALLBACK;
      return cooperate<unknown>(what, (done) => Reflect.apply(asyncFn, this, [done]));
    },
    { originalForNode: true },
  );
}
