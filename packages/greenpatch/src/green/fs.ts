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
import type * as nodeFs from 'node:fs';

import { syncFunctions } from './internal/fs-sync.js';

export * from 'node:fs';

// The names of node:fs (Node 20 to 26) for ESM importers: Node reads a
// CommonJS module's named exports from its source and does not follow the
// re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.appendFile = exports.appendFileSync = exports.access = exports.accessSync = exports.chown = exports.chownSync = exports.chmod = exports.chmodSync = exports.close = exports.closeSync = exports.copyFile = exports.copyFileSync = exports.cp = exports.cpSync = exports.createReadStream = exports.createWriteStream = exports.exists = exports.existsSync = exports.fchown = exports.fchownSync = exports.fchmod = exports.fchmodSync = exports.fdatasync = exports.fdatasyncSync = exports.fstat = exports.fstatSync = exports.fsync = exports.fsyncSync = exports.ftruncate = exports.ftruncateSync = exports.futimes = exports.futimesSync = exports.glob = exports.globSync = exports.lchown = exports.lchownSync = exports.lchmod = exports.lchmodSync = exports.link = exports.linkSync = exports.lstat = exports.lstatSync = exports.lutimes = exports.lutimesSync = exports.mkdir = exports.mkdirSync = exports.mkdtemp = exports.mkdtempSync = exports.mkdtempDisposableSync = exports.open = exports.openSync = exports.openAsBlob = exports.openAsBlobSync = exports.readdir = exports.readdirSync = exports.read = exports.readSync = exports.readv = exports.readvSync = exports.readFile = exports.readFileSync = exports.readlink = exports.readlinkSync = exports.realpath = exports.realpathSync = exports.rename = exports.renameSync = exports.rm = exports.rmSync = exports.rmdir = exports.rmdirSync = exports.stat = exports.statfs = exports.statSync = exports.statfsSync = exports.symlink = exports.symlinkSync = exports.truncate = exports.truncateSync = exports.unwatchFile = exports.unlink = exports.unlinkSync = exports.utimes = exports.utimesSync = exports.watch = exports.watchFile = exports.writeFile = exports.writeFileSync = exports.write = exports.writeSync = exports.writev = exports.writevSync = exports.Dirent = exports.Stats = exports.ReadStream = exports.WriteStream = exports.FileReadStream = exports.FileWriteStream = exports.Utf8Stream = exports._toUnixTimestamp = exports.Dir = exports.opendir = exports.opendirSync = exports.F_OK = exports.R_OK = exports.W_OK = exports.X_OK = exports.constants = exports.promises = undefined;
}

/** The cooperative functions, by export name (`readFileSync`, ...): what the `fs` patch installs. */
export { syncFunctions };

/**
 * The cooperative fs functions, each taking the arguments of Node's and
 * returning or throwing what Node's does. Inside a green thread, on a FIFO,
 * pipe, socket or character device, they block only that thread while the
 * callback form waits; elsewhere they are Node's own.
 */
export const {
  openSync, readSync, readvSync, writeSync, writevSync, readFileSync, writeFileSync, appendFileSync,
} = syncFunctions as unknown as typeof nodeFs;
