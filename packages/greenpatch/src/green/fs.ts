// greenpatch/green/fs: Node's `fs`, where the `*Sync` functions that move
// data (`openSync`, `readSync`, `readvSync`, `writeSync`, `writevSync`,
// `readFileSync`, `writeFileSync`, `appendFileSync`), called inside a green
// thread on a FIFO, a pipe, a socket or a character device (a terminal),
// block only that green thread: each runs as its callback form while the hub
// serves the other green threads. Such a call waits for whoever is at the
// other end, which may be another green thread: blocking the process there
// could deadlock. On regular files and directories, and for every other fs
// function, they are Node's own and block the process as stock does: that
// I/O is bounded, and a `*Sync` call that lets the event loop run breaks
// code relying on Node's promise that it never does (gevent draws the same
// line). Outside a green thread, on the hub, and when Node itself is the
// caller, they are Node's own too. docs/cooperative-sync.md has the rule.
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
 * The `*Sync` functions that cooperate on a FIFO, pipe, socket or character
 * device, each with its callback form: those that open such a file or move
 * data through it, the calls that wait for the other end. (Metadata calls
 * such as `statSync` or `closeSync` never wait for it.)
 */
const pairs = ['open', 'read', 'readv', 'write', 'writev', 'readFile', 'writeFile', 'appendFile'] as const;

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
 * synchronous whatever they are: log lines, kept in order with
 * `process.stdout`/`process.stderr` writes, which Node itself performs
 * synchronously for files and terminals.
 */
const toStdio = (args: unknown[]) => args[0] === 1 || args[0] === 2;

const always = () => true;

const statOriginal = fs.statSync;
const fstatOriginal = fs.fstatSync;

/**
 * Whether `target` (a path, a `file:` URL or a file descriptor) is a FIFO,
 * a socket or a character device: what a read or write may wait on for as
 * long as the other end likes. One stat or fstat system call (about a
 * microsecond, measured in docs/cooperative-sync.md); anything it cannot
 * tell (a missing file, an invalid argument) counts as no, so that Node's
 * own function runs and gives its own result or error.
 */
function waitsOnOtherEnd(target: unknown): boolean {
  let stats: fs.Stats | undefined;
  try {
    if (typeof target === 'number') stats = Reflect.apply(fstatOriginal, fs, [target]) as fs.Stats;
    else if (typeof target === 'string' || Buffer.isBuffer(target) || target instanceof URL) {
      stats = Reflect.apply(statOriginal, fs, [target, { throwIfNoEntry: false }]) as fs.Stats | undefined;
    }
  } catch {
    return false;
  }
  return stats !== undefined && (stats.isFIFO() || stats.isSocket() || stats.isCharacterDevice());
}

/** The call stays Node's own: its target is a regular file, a directory, or unknown. */
const onRegularFile = (args: unknown[]) => !waitsOnOtherEnd(args[0]);

/**
 * The error of a failed open or readFile is taken from the original, which
 * repeats the call: on some Node majors the sync form builds its error
 * differently from the callback form, and repeating an open that failed
 * changed nothing. Writes are never repeated; their callback forms' errors
 * match.
 */
const specials: Record<string, Special> = {
  open: { onLate: (fd: number) => fs.close(fd, () => {}), rerunOn: always, inline: onRegularFile },
  readFile: { rerunOn: always, inline: onRegularFile },
  write: { inline: (args) => toStdio(args) || onRegularFile(args) },
  writev: { inline: (args) => toStdio(args) || onRegularFile(args) },
};

function makeCooperative(name: string, syncFn: AnyFunction, asyncFn: AnyFunction, owner: object): AnyFunction {
  const special = specials[name] ?? { inline: onRegularFile };
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
      // The original, called by cooperativeSync, replays the option reads.
      if (error === reported && special.rerunOn?.(error, args)) return FALLBACK;
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

/**
 * The cooperative fs functions, each taking the arguments of Node's and
 * returning or throwing what Node's does. Inside a green thread, on a FIFO,
 * pipe, socket or character device, they block only that thread while the
 * callback form waits; elsewhere they are Node's own.
 */
export const {
  openSync, readSync, readvSync, writeSync, writevSync, readFileSync, writeFileSync, appendFileSync,
} = syncFunctions as unknown as typeof fs;
