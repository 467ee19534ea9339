// How greenpatch/green/child_process's `spawnSync`, `execSync` and
// `execFileSync` (internal/child-process-sync.ts) block only the calling
// green thread: loaded at the first cooperative call.
//
// Where it cooperates. The three are Node's own functions, called as they
// are: Node normalises and validates the arguments (throwing its own errors,
// synchronously, reading each option as often as it always does), builds the
// options of its internal synchronous spawn, and hands them to the native
// `spawn_sync` binding; Node's own code then shapes what the binding returns
// into the result, or the error execSync/execFileSync throw. Only that one
// binding call is replaced, for a call made cooperatively: the child is
// started from the very options the binding would have had, by the
// asynchronous spawn Node uses for `child_process.spawn()` (its `Process`
// handle, through `ChildProcess.prototype.spawn` as it was when the patch was
// applied), its output is collected on the event loop, and the calling thread
// resumes with an object of the binding's shape (`error` as an errno, then
// `status`, `signal`, `output`, `pid`) once the child has exited and its pipes
// have closed. So everything in JavaScript above the binding, including what
// code watching Node's internals can see (`internal/child_process`'s
// `spawnSync` called once with the normalised options), is stock.
//
// The binding's `spawn` is wrapped at the first cooperative call (reached
// with `process.binding('spawn_sync')`, Node's own object, which its
// internal `spawnSync` reads at each call); the wrapper is Node's `spawn`
// for every call but the one a cooperative function has just asked for.
import os = require('node:os');
import type { ChildProcess } from 'node:child_process';

import { childProcessSyncApi } from './child-process-sync.js';
import { likeOriginal } from './like-original.js';
import { block, mayBlock, requireTask, type Task } from './runtime.js';

/** A stdio entry of the binding's options, as Node's getValidStdio(stdio, true) makes it. */
interface SyncStdio {
  type: string;
  fd?: number;
  readable?: boolean;
  writable?: boolean;
  input?: ArrayBufferView;
}

/** The options Node's internal spawnSync passes to the binding (normalised and validated). */
interface SyncOptions {
  file: string;
  args: string[];
  stdio: SyncStdio[];
  timeout?: number;
  maxBuffer?: number;
  killSignal?: number;
  [key: string]: unknown;
}

/** What the binding returns; Node's internal spawnSync makes the result out of it. */
interface SyncResult {
  error?: number;
  status: number | null;
  signal: string | null;
  output: Array<Buffer | null> | null;
  pid: number;
}

type BindingSpawn = (this: unknown, options: SyncOptions) => SyncResult;

/** Node's `spawn_sync` binding, or undefined where this Node does not give it out. */
function spawnSyncBinding(): { spawn: BindingSpawn } | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding('spawn_sync') as { spawn?: unknown };
    return typeof binding?.spawn === 'function' ? (binding as { spawn: BindingSpawn }) : undefined;
  } catch {
    return undefined;
  }
}

// The asynchronous spawn's own methods, as they are now: a cooperative
// spawnSync calls no method a program may later wrap on ChildProcess.prototype
// (stock spawnSync calls none).
// Taken when the patch was applied (or green/child_process loaded), not now.
const { ChildProcessClass, spawnChild } = childProcessSyncApi();

/** Node's binding, once wrapped (undefined: not yet asked for; null: this Node gives none). */
let binding: { spawn: BindingSpawn } | null | undefined;
/**
 * The green thread whose cooperative function has just called Node's own:
 * the next binding call made in that thread is that call's.
 */
let pendingFor: Task | undefined;

/**
 * Wraps the binding's `spawn`, at the first cooperative call (not when this
 * module loads: under `--pending-deprecation` Node warns once about
 * `process.binding()`, which it then does only for a program that uses a
 * cooperative `*Sync`). False where the binding is not to be had.
 */
export function bindingWrapped(): boolean {
  if (binding === undefined) {
    binding = spawnSyncBinding() ?? null;
    if (binding !== null) {
      const bindingSpawn = binding.spawn;
      binding.spawn = likeOriginal(function spawn(this: unknown, options: SyncOptions): SyncResult {
        // Another caller's spawnSync (should a getter on the options have
        // let other code run in between) is Node's own at work.
        if (pendingFor === undefined || !mayBlock() || requireTask('child_process.spawnSync()') !== pendingFor) {
          return Reflect.apply(bindingSpawn, this, [options]);
        }
        pendingFor = undefined;
        const stdio = asyncStdio(options.stdio);
        if (stdio === undefined) return Reflect.apply(bindingSpawn, this, [options]);
        return run(options, stdio, () => Reflect.apply(bindingSpawn, this, [options]));
      }, bindingSpawn);
    }
  }
  return binding !== null;
}

const UV_ESRCH = -os.constants.errno.ESRCH;
const UV_ETIMEDOUT = -os.constants.errno.ETIMEDOUT;
const UV_ENOBUFS = -os.constants.errno.ENOBUFS;
const SIGTERM = os.constants.signals.SIGTERM;
const SIGKILL = os.constants.signals.SIGKILL;

/**
 * The binding's stdio entries in the form the asynchronous spawn takes, or
 * undefined for one the binding alone handles (it refuses handles with
 * EINVAL at once, without spawning).
 */
function asyncStdio(stdio: SyncStdio[]): Array<string | number> | undefined {
  const out: Array<string | number> = [];
  for (const entry of stdio) {
    if (entry.type === 'pipe' || entry.type === 'overlapped' || entry.type === 'ignore' || entry.type === 'inherit') out.push(entry.type);
    else if (entry.type === 'fd' && typeof entry.fd === 'number') out.push(entry.fd);
    else return undefined;
  }
  return out;
}

/** The chunks in one Buffer of its own memory, as the binding's output buffers are (not a slice of Node's pool). */
function ownBuffer(chunks: Buffer[]): Buffer {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const buffer = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  for (const c of chunks) offset += c.copy(buffer, offset);
  return buffer;
}

/** A `Process` handle's kill: 0 or a libuv error number, as the binding's own kill gets. */
function killHandle(child: ChildProcess, signal: number): number {
  const handle = (child as unknown as { _handle?: { kill(signal: number): number } | null })._handle;
  return handle ? handle.kill(signal) : UV_ESRCH;
}

/**
 * Runs the binding's options under the asynchronous spawn, blocking only the
 * calling green thread, and returns what the binding would: the same
 * errors, in the same precedence (a timeout or ENOBUFS before a pipe's
 * error), the same output array (a Buffer for each pipe the child writes,
 * null elsewhere), the same kill sequence (killSignal, then SIGKILL if that
 * signal cannot be sent). `blocking` is the binding itself, for options the
 * asynchronous spawn turns down before starting anything.
 */
function run(options: SyncOptions, stdio: Array<string | number>, blocking: () => SyncResult): SyncResult {
  const timeout = typeof options.timeout === 'number' && options.timeout > 0 ? options.timeout : 0;
  const maxBuffer = typeof options.maxBuffer === 'number' && options.maxBuffer > 0 ? options.maxBuffer : 0;
  const killSignal = typeof options.killSignal === 'number' ? options.killSignal : SIGTERM;
  const input = options.stdio[0]?.readable ? options.stdio[0].input : undefined;

  // The handle's options: the binding's own, with the stdio the asynchronous
  // form takes and without what only the synchronous one reads. Without a
  // prototype, as Node makes them, so that what a program sets on
  // Object.prototype (`uid`, `cwd`) is not read as an option.
  const spawnOptions: Record<string, unknown> = { __proto__: null, ...options, stdio };
  delete spawnOptions.serialization;
  const child = new ChildProcessClass();
  try {
    Reflect.apply(spawnChild, child, [spawnOptions]);
  } catch (thrown) {
    // A spawn failure Node throws (`spawn EPERM`): the binding returns it.
    const errno = (thrown as NodeJS.ErrnoException)?.errno;
    if (typeof errno === 'number' && (thrown as NodeJS.ErrnoException).syscall === 'spawn') {
      return { error: errno, status: null, signal: null, output: null, pid: 0 };
    }
    return blocking();
  }

  return block<SyncResult>('child_process.spawnSync()', (wake) => {
    let error = 0;
    let pipeError = 0;
    let killed = false;
    let exited = false;
    let status: number | null = null;
    let signal: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    const chunks: Buffer[][] = stdio.map(() => []);
    let buffered = 0;
    const setError = (errno: number): void => {
      if (error === 0) error = errno;
    };

    function closePipes(): void {
      for (const stream of child.stdio) stream?.destroy();
    }
    function clearTimer(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    }
    // As the binding's Kill(): once; the signal unless the child is gone,
    // SIGKILL if that signal fails; then the pipes close.
    function kill(): void {
      if (killed) return;
      killed = true;
      if (!exited) {
        const r = killHandle(child, killSignal);
        if (r < 0 && r !== UV_ESRCH) {
          setError(r);
          killHandle(child, SIGKILL);
        }
      }
      closePipes();
      clearTimer();
    }

    if (timeout > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        setError(UV_ETIMEDOUT);
        kill();
      }, timeout);
    }

    // The spawn failures Node reports through 'error' (ENOENT, EACCES, ...).
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (typeof e.errno === 'number' && typeof e.syscall === 'string' && e.syscall.startsWith('spawn')) setError(e.errno);
    });
    child.on('exit', (code, sig) => {
      exited = true;
      status = sig ? null : code;
      signal = sig;
    });

    stdio.forEach((kind, i) => {
      const stream = child.stdio[i];
      if (kind !== 'pipe' && kind !== 'overlapped') return;
      if (stream === null || stream === undefined) return;
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (pipeError === 0 && typeof e.errno === 'number') pipeError = e.errno;
      });
      if (i === 0) {
        const writable = stream as NodeJS.WritableStream;
        if (input !== undefined && input.byteLength > 0) writable.end(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
        else writable.end();
        return;
      }
      stream.on('data', (chunk: Buffer) => {
        if (killed) return;
        chunks[i].push(chunk);
        buffered += chunk.length;
        if (maxBuffer > 0 && buffered > maxBuffer) {
          setError(UV_ENOBUFS);
          kill();
        }
      });
    });

    child.on('close', () => {
      clearTimer();
      const spawned = typeof child.pid === 'number';
      let output: Array<Buffer | null> | null = null;
      if (spawned && exited) {
        // Only the pipes the child writes to (all but stdin) hold output.
        output = stdio.map((kind, i) => ((kind === 'pipe' || kind === 'overlapped') && i > 0 ? ownBuffer(chunks[i]) : null));
      }
      const result: Partial<SyncResult> = {};
      const errno = error !== 0 ? error : pipeError;
      if (errno !== 0) result.error = errno;
      result.status = spawned && exited ? status : null;
      result.signal = signal;
      result.output = output;
      result.pid = child.pid ?? 0;
      wake.resume(result as SyncResult);
    });

    // The green thread was killed or timed out: nobody will read the
    // result, and nothing else holds the child, so it is ended as a timeout
    // would end it rather than left running with its pipes open.
    return () => {
      clearTimer();
      killed = true;
      if (!exited) killHandle(child, killSignal);
      closePipes();
    };
  });
}

/**
 * Calls `fn` (Node's own spawnSync, execSync or execFileSync) with its one
 * call of the binding made cooperative: the caller may block (a green
 * thread, not Node itself) and the binding is wrapped.
 */
export function callCooperatively(fn: Function, thisArg: unknown, args: unknown[]): unknown {
  const task = requireTask('child_process.spawnSync()');
  pendingFor = task;
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    if (pendingFor === task) pendingFor = undefined;
  }
}
