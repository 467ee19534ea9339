// greenpatch/green/child_process: Node's `child_process`, where `spawnSync`,
// `execSync` and `execFileSync`, called inside a green thread, block only that
// green thread: the child runs under Node's asynchronous `spawn`, its output
// is collected on the event loop, and the calling thread is resumed when the
// child has exited and its pipes have closed. The results, and the errors
// thrown or returned, have the shapes stock Node gives them (the same keys
// in the same order, the same `error` objects with `errno`, `code`,
// `syscall`, `path`, `spawnargs`). Outside a green thread, and on the hub,
// they are Node's own functions.
import childProcess = require('node:child_process');
import os = require('node:os');
import util = require('node:util');
import type {
  ChildProcess,
  ExecFileSyncOptions,
  ExecSyncOptions,
  SpawnSyncOptions,
  SpawnSyncReturns,
} from 'node:child_process';

import { cooperativeSync, FALLBACK } from './internal/cooperative.js';
import { block } from './internal/runtime.js';

export * from 'node:child_process';

// The names of node:child_process for ESM importers (Node reads a CommonJS
// module's named exports from its source and does not follow the re-export
// of a builtin above). This never runs.
if ((0 as number) === 1) {
  exports.ChildProcess = exports.exec = exports.execFile = exports.execFileSync = exports.execSync = exports.fork = exports.spawn = exports.spawnSync = exports._forkChild = undefined;
}

const original = {
  spawnSync: childProcess.spawnSync,
  execSync: childProcess.execSync,
  execFileSync: childProcess.execFileSync,
};

/** Node's default `maxBuffer` for the `*Sync` functions: 1 MiB. */
const MAX_BUFFER = 1024 * 1024;

type Stdio = { kind: 'pipe' } | { kind: 'ignore' } | { kind: 'inherit' } | { kind: 'fd'; fd: number };

/** What one cooperative spawnSync call will do, once its options are known to be ones stock accepts. */
interface Plan {
  file: string;
  args: readonly string[];
  options: Record<string, any>;
  stdio: Stdio[];
  input: Uint8Array | undefined;
  timeout: number;
  maxBuffer: number;
  killSignal: string | number;
}

const signalNames = os.constants.signals as Record<string, number>;
const signalNumbers = new Set(Object.values(signalNames));

function isPlainOptions(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseStdio(value: unknown): Stdio[] | undefined {
  let list: unknown[];
  if (typeof value === 'string') {
    if (!['pipe', 'overlapped', 'ignore', 'inherit'].includes(value)) return undefined;
    list = [value, value, value];
  } else if (Array.isArray(value)) {
    list = [...value];
  } else {
    return undefined;
  }
  while (list.length < 3) list.push(undefined);
  const out: Stdio[] = [];
  for (let i = 0; i < list.length; i++) {
    let entry = list[i];
    if (entry === null || entry === undefined) entry = i < 3 ? 'pipe' : 'ignore';
    if (entry === 'ignore') out.push({ kind: 'ignore' });
    else if (entry === 'pipe' || entry === 'overlapped' || (typeof entry === 'number' && entry < 0)) out.push({ kind: 'pipe' });
    else if (entry === 'inherit') out.push({ kind: 'inherit' });
    else if (typeof entry === 'number' && Number.isInteger(entry)) out.push({ kind: 'fd', fd: entry });
    else if (typeof entry === 'object' && typeof (entry as { fd?: unknown }).fd === 'number' && Number.isInteger((entry as { fd: number }).fd)) {
      out.push({ kind: 'fd', fd: (entry as { fd: number }).fd });
    } else return undefined; // 'ipc' (refused by stock), streams, buffers: left to stock
  }
  return out;
}

/**
 * Reads the arguments the way stock spawnSync does and returns the plan, or
 * undefined when anything is outside what the cooperative path reproduces
 * (invalid options, streams in `stdio`, ...): the original then runs, which
 * throws stock's error for bad input before anything is spawned.
 */
function makePlan(file: unknown, args: unknown, options: unknown): Plan | undefined {
  if (typeof file !== 'string' || file.length === 0 || file.includes('\u0000')) return undefined;
  let argv: readonly unknown[];
  let opts: unknown;
  if (Array.isArray(args)) {
    argv = args;
    opts = options;
  } else if (args === null || args === undefined) {
    argv = [];
    opts = options;
  } else if (typeof args === 'object') {
    argv = [];
    opts = args;
  } else {
    return undefined;
  }
  if (!argv.every((a) => typeof a === 'string')) return undefined;
  if (opts !== undefined && !isPlainOptions(opts)) return undefined;
  // Stock works on an own-enumerable copy of the options; so does this.
  const o: Record<string, any> = { ...(opts as object | undefined) };

  let timeout = 0;
  if (o.timeout !== null && o.timeout !== undefined) {
    if (!Number.isSafeInteger(o.timeout) || o.timeout < 0) return undefined;
    timeout = o.timeout;
  }
  // An explicit `maxBuffer: undefined` (or null) means no limit, as in stock.
  let maxBuffer = Object.prototype.hasOwnProperty.call(o, 'maxBuffer') ? o.maxBuffer : MAX_BUFFER;
  if (maxBuffer === null || maxBuffer === undefined) maxBuffer = 0;
  else if (typeof maxBuffer !== 'number' || !(maxBuffer >= 0)) return undefined;

  let killSignal: string | number = 'SIGTERM';
  if (o.killSignal !== null && o.killSignal !== undefined) {
    if (typeof o.killSignal === 'string' && Object.prototype.hasOwnProperty.call(signalNames, o.killSignal)) {
      killSignal = o.killSignal;
    } else if (typeof o.killSignal === 'number' && signalNumbers.has(o.killSignal)) {
      killSignal = o.killSignal;
    } else return undefined;
  }

  const stdio = parseStdio(o.stdio || 'pipe');
  if (stdio === undefined) return undefined;

  let input: Uint8Array | undefined;
  if (o.input) {
    if (ArrayBuffer.isView(o.input)) {
      input = new Uint8Array(o.input.buffer, o.input.byteOffset, o.input.byteLength);
    } else if (typeof o.input === 'string') {
      try {
        input = Buffer.from(o.input, o.encoding);
      } catch {
        return undefined;
      }
    } else return undefined;
  }
  return { file, args: argv as string[], options: o, stdio, input, timeout, maxBuffer, killSignal };
}

/** libuv's error number for an error name on this platform (negative on POSIX). */
function uvErrno(name: string): number {
  for (const [errno, [errname]] of util.getSystemErrorMap()) {
    if (errname === name) return errno;
  }
  throw new Error(`greenpatch: no libuv error named ${name}`);
}

let errnoPrototype: object | undefined;

/**
 * The prototype of Node's internal ErrnoException class, which spawnSync's
 * `error` objects have (its `constructor` reads as `Error`). Node exposes no
 * constructor for it; `process.kill` with signal 0 on a pid no system hands
 * out throws one (ESRCH, nothing is signalled), and its prototype is taken.
 */
function errnoExceptionPrototype(): object {
  if (errnoPrototype === undefined) {
    try {
      process.kill(2 ** 31 - 1, 0);
      errnoPrototype = Error.prototype;
    } catch (error) {
      errnoPrototype = (error !== null && typeof error === 'object' && Object.getPrototypeOf(error)) || Error.prototype;
    }
  }
  return errnoPrototype as object;
}

/** An error shaped as Node's ErrnoException: message `<syscall> <code>`, own `errno`, `code`, `syscall`. */
function errnoException(errno: number, syscall: string): NodeJS.ErrnoException {
  const code = util.getSystemErrorName(errno);
  const Shape = function () {} as unknown as new () => Error;
  Shape.prototype = errnoExceptionPrototype();
  const error = Reflect.construct(Error, [`${syscall} ${code}`], Shape) as NodeJS.ErrnoException;
  // V8 skips stack frames up to `new.target`, which is not on the stack:
  // capture the stack again, from the caller.
  Error.captureStackTrace(error, errnoException);
  error.errno = errno;
  error.code = code;
  error.syscall = syscall;
  return error;
}

/** What the child did, gathered on the event loop. */
interface Outcome {
  errno: number;
  pid: number;
  status: number | null;
  signal: NodeJS.Signals | null;
  output: Array<Buffer | null> | null;
  file: string;
  spawnargs: string[];
}

/** The file and argv stock would report for a spawn that failed before a ChildProcess existed. */
function normalizedCommand(plan: Plan): { file: string; argv: string[] } {
  const o = plan.options;
  let file = plan.file;
  let args = [...plan.args];
  if (o.shell) {
    const command = args.length > 0 ? `${file} ${args.join(' ')}` : file;
    if (process.platform === 'win32') {
      file = typeof o.shell === 'string' ? o.shell : process.env.comspec || 'cmd.exe';
      args = /^(?:.*\\)?cmd(?:\.exe)?$/i.test(file) ? ['/d', '/s', '/c', `"${command}"`] : ['-c', command];
    } else {
      file = typeof o.shell === 'string' ? o.shell : process.platform === 'android' ? '/system/bin/sh' : '/bin/sh';
      args = ['-c', command];
    }
  }
  return { file, argv: [typeof o.argv0 === 'string' ? o.argv0 : file, ...args] };
}

/** Runs the plan under the asynchronous spawn, blocking only the calling green thread. */
function run(plan: Plan): Outcome {
  return block<Outcome>('child_process.spawnSync()', (wake) => {
    let error = 0;
    let pipeError = 0;
    let killed = false;
    let exited = false;
    let status: number | null = null;
    let signal: NodeJS.Signals | null = null;
    let timer: NodeJS.Timeout | undefined;
    const chunks: Buffer[][] = plan.stdio.map(() => []);
    let buffered = 0;
    const setError = (errno: number) => {
      if (error === 0) error = errno;
    };
    const setPipeError = (errno: unknown) => {
      if (pipeError === 0 && typeof errno === 'number') pipeError = errno;
    };

    // The options for the asynchronous spawn: the caller's own (so Node's
    // normalisation and validation of file, args, cwd, env, shell, uid, ...
    // is the very same), with the parts the sync form handles itself taken out.
    const spawnOptions = {
      ...plan.options,
      stdio: plan.stdio.map((s) => (s.kind === 'fd' ? s.fd : s.kind)),
      timeout: undefined,
      killSignal: undefined,
      signal: undefined,
    } as childProcess.SpawnOptions;

    // Stock starts its timer before spawning; so does this.
    if (plan.timeout > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        setError(uvErrno('ETIMEDOUT'));
        kill();
      }, plan.timeout);
    }

    let child: ChildProcess;
    try {
      child = childProcess.spawn(plan.file, plan.args as string[], spawnOptions);
    } catch (thrown) {
      if (timer !== undefined) clearTimeout(timer);
      const e = thrown as NodeJS.ErrnoException;
      // A spawn failure other than the few Node reports through 'error' is
      // thrown (`spawn EPERM`); spawnSync returns it as `error` instead.
      if (typeof e?.errno === 'number' && e.syscall === 'spawn') {
        const { file, argv } = normalizedCommand(plan);
        wake.resume({ errno: e.errno, pid: 0, status: null, signal: null, output: null, file, spawnargs: argv.slice(1) });
        return;
      }
      throw thrown; // Node's validation error: the same one stock throws
    }

    let killFailed = false;
    function closePipes(): void {
      for (const stream of child.stdio) stream?.destroy();
    }
    function kill(): void {
      if (killed) return;
      killed = true;
      if (!exited) {
        child.kill(plan.killSignal as NodeJS.Signals);
        // An unusable signal: stock reports it and falls back to SIGKILL.
        if (killFailed) child.kill('SIGKILL');
      }
      closePipes();
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
    }

    child.on('error', (e: NodeJS.ErrnoException) => {
      if (typeof e.errno !== 'number') return;
      if (e.syscall === 'kill') {
        if (e.code === 'ESRCH') return;
        killFailed = true;
      }
      setError(e.errno);
    });
    child.on('exit', (code, sig) => {
      exited = true;
      status = sig ? null : code;
      signal = sig;
    });

    plan.stdio.forEach((s, i) => {
      const stream = child.stdio[i];
      if (s.kind !== 'pipe' || stream === null || stream === undefined) return;
      stream.on('error', (e: NodeJS.ErrnoException) => setPipeError(e.errno));
      if (i === 0) {
        const writable = stream as NodeJS.WritableStream;
        if (plan.input !== undefined && plan.input.byteLength > 0) writable.end(plan.input);
        else writable.end();
        return;
      }
      stream.on('data', (chunk: Buffer) => {
        if (killed) return;
        chunks[i].push(chunk);
        buffered += chunk.length;
        if (plan.maxBuffer > 0 && buffered > plan.maxBuffer) {
          setError(uvErrno('ENOBUFS'));
          kill();
        }
      });
    });

    child.on('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      const spawned = typeof child.pid === 'number';
      let output: Array<Buffer | null> | null = null;
      if (spawned && exited) {
        output = plan.stdio.map((s, i) => {
          // Like stock, only the pipes the child writes to (all but stdin) hold output.
          if (s.kind !== 'pipe' || i === 0) return null;
          const total = chunks[i].reduce((n, c) => n + c.length, 0);
          const buffer = Buffer.allocUnsafeSlow(total);
          let offset = 0;
          for (const c of chunks[i]) offset += c.copy(buffer, offset);
          return buffer;
        });
      }
      wake.resume({
        errno: error !== 0 ? error : pipeError,
        pid: child.pid ?? 0,
        status: spawned && exited ? status : null,
        signal,
        output,
        file: child.spawnfile,
        spawnargs: child.spawnargs.slice(1),
      });
    });

    // The green thread was killed or timed out: nobody will read the
    // result, and nothing else holds the child, so it is ended as a timeout
    // would end it rather than left running with its pipes open.
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      killed = true;
      if (!exited) child.kill(plan.killSignal as NodeJS.Signals);
      closePipes();
    };
  });
}

const noOutput = Number(process.versions.node.split('.')[0]) >= 22 ? undefined : null;

/** Shapes an outcome into the object stock spawnSync returns (same keys, same order). */
function finish(outcome: Outcome, encoding: unknown): SpawnSyncReturns<any> {
  const result: Record<string, any> = {};
  if (outcome.errno !== 0) result.error = outcome.errno;
  result.status = outcome.status;
  result.signal = outcome.signal;
  result.output = outcome.output;
  result.pid = outcome.pid;
  if (result.output && encoding && encoding !== 'buffer') {
    for (let i = 0; i < result.output.length; i++) {
      if (result.output[i]) result.output[i] = result.output[i].toString(encoding);
    }
  }
  // With no output (a failed spawn) Node 20 sets stdout and stderr to null,
  // Node 22 and later to undefined.
  result.stdout = result.output ? result.output[1] : noOutput;
  result.stderr = result.output ? result.output[2] : noOutput;
  if (result.error) {
    const error = errnoException(outcome.errno, `spawnSync ${outcome.file}`) as NodeJS.ErrnoException & { spawnargs?: string[] };
    error.path = outcome.file;
    error.spawnargs = outcome.spawnargs;
    result.error = error;
  }
  return result as SpawnSyncReturns<any>;
}

/**
 * The cooperative run of a spawnSync call, or FALLBACK when its arguments
 * are beyond what it reproduces: the caller's original then runs (and
 * throws stock's validation error), reading the options as stock does.
 */
function cooperativeSpawnSync(file: unknown, args?: unknown, options?: unknown): SpawnSyncReturns<any> | typeof FALLBACK {
  const plan = makePlan(file, args, options);
  if (plan === undefined) return FALLBACK;
  return finish(run(plan), plan.options.encoding);
}

/** The error execSync/execFileSync throw for a result, as stock builds it (undefined: success). */
function execSyncError(ret: SpawnSyncReturns<any>, args: string[] | undefined, command?: string): Error | undefined {
  if (ret.error) {
    return Object.assign(ret.error, ret);
  }
  if (ret.status !== 0) {
    let message = `Command failed: ${command || (args as string[]).join(' ')}`;
    if (ret.stderr && ret.stderr.length > 0) message += `\n${ret.stderr.toString()}`;
    return Object.assign(new Error(message), ret);
  }
  return undefined;
}

/**
 * `child_process.spawnSync`, cooperative: inside a green thread it blocks
 * only that thread until the child has exited and its pipes are closed, and
 * returns what stock returns (`pid`, `output`, `stdout`, `stderr`, `status`,
 * `signal`, and `error` for a spawn failure, `ETIMEDOUT` after `timeout`,
 * `ENOBUFS` past `maxBuffer`, `EPIPE` for unread `input`). Outside a green
 * thread it is Node's own. Options it cannot reproduce exactly (streams or
 * `'ipc'` in `stdio`, invalid values) go to Node's own, which then blocks
 * the process as stock does, or throws stock's validation error.
 *
 * If the green thread is killed (or a `Timeout` fires) while the child runs,
 * the child is sent `killSignal` and its pipes are closed.
 */
export const spawnSync = cooperativeSync(original.spawnSync, ([file, args, options]) =>
  cooperativeSpawnSync(file, args, options),
);

/**
 * `child_process.execSync`, cooperative: the command runs in a shell, as
 * with stock; inside a green thread only that thread waits. Returns stdout;
 * throws the error stock throws (`Command failed: ...` with `status`,
 * `signal`, `stdout`, `stderr`, `output`, `pid`; or the spawn error with the
 * same properties). Unless `stdio` is given, the child's stderr is copied to
 * `process.stderr`, as stock does.
 */
export const execSync = cooperativeSync(original.execSync, ([command, options]) => {
  if (typeof command !== 'string' || command.includes('\u0000') || (options !== undefined && options !== null && !isPlainOptions(options))) {
    return FALLBACK;
  }
  const opts: Record<string, any> = { ...(options as ExecSyncOptions | undefined) };
  opts.shell = typeof opts.shell === 'string' ? opts.shell : true;
  const inheritStderr = !opts.stdio;
  const ret = cooperativeSpawnSync(command, opts as SpawnSyncOptions);
  if (ret === FALLBACK) return FALLBACK;
  if (inheritStderr && ret.stderr) process.stderr.write(ret.stderr);
  const error = execSyncError(ret, undefined, command);
  if (error) throw error;
  return ret.stdout;
});

/**
 * `child_process.execFileSync`, cooperative: inside a green thread only that
 * thread waits for the child. Returns stdout; throws what stock throws
 * (`Command failed: <file> <args>` with `status`, `signal`, `stdout`,
 * `stderr`, `output`, `pid`; or the spawn error, e.g. `spawnSync x ENOENT`,
 * carrying the same). Unless `stdio` is given, the child's stderr is copied
 * to `process.stderr`, as stock does.
 */
export const execFileSync = cooperativeSync(original.execFileSync, ([file, args, options]) => {
  let argv: string[];
  let opts: unknown = options;
  if (Array.isArray(args)) {
    argv = args.slice();
  } else if (args !== null && typeof args === 'object') {
    opts = args;
    argv = [];
  } else if (args === null || args === undefined) {
    argv = [];
  } else {
    return FALLBACK;
  }
  if (opts !== null && opts !== undefined && !isPlainOptions(opts)) return FALLBACK;
  // One read of each option, as stock's own copy does.
  const o = { ...(opts as ExecFileSyncOptions | undefined) } as ExecFileSyncOptions & { argv0?: unknown };
  if (
    (o.argv0 !== null && o.argv0 !== undefined && (typeof o.argv0 !== 'string' || o.argv0.includes('\u0000')))
  ) {
    return FALLBACK;
  }
  const inheritStderr = !o.stdio;
  const ret = cooperativeSpawnSync(file, argv, o);
  if (ret === FALLBACK) return FALLBACK;
  if (inheritStderr && ret.stderr) process.stderr.write(ret.stderr);
  const error = execSyncError(ret, [(o.argv0 as string) || (file as string), ...argv]);
  if (error) throw error;
  return ret.stdout;
});
