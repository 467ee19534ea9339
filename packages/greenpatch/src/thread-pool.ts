// ThreadPool (gevent's name; eventlet's tpool): CPU-bound work on worker
// threads, while only the green thread that asked waits for it. Built on
// piscina, which keeps the workers, queues the tasks and replaces a worker
// whose task was aborted. Functions cannot cross threads in Node, so a task
// names a module file and one of its exports; arguments and results are
// structured-cloned.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

import { codedError } from './errors.js';
import { block } from './hub.js';

/** What a task runs: an export of a module file (a path or `file:` URL), `name` defaulting to `'default'`. */
export interface TaskSpec {
  readonly filename: string | URL;
  readonly name?: string;
}

/** Options of {@link ThreadPool}. */
export interface ThreadPoolOptions {
  /** The module whose exports tasks name when given as a string. */
  readonly filename?: string | URL;
  /** Worker threads started at once (default: none until needed; idle ones stay, unref'd). */
  readonly minThreads?: number;
  /** Milliseconds an idle worker beyond `minThreads` lives (default: piscina's). */
  readonly idleTimeout?: number;
}

const workerFile = require.resolve('./thread-pool-worker.js');

function toPath(file: string | URL): string {
  return typeof file === 'string' ? (file.startsWith('file:') ? fileURLToPath(file) : file) : fileURLToPath(file);
}

/** Node's options that would load greenpatch's register hook in every worker: the workers need no hub. */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === '--import' || arg === '--require' || arg === '-r') && /greenpatch\/register/.test(argv[i + 1] ?? '')) {
      i++;
      continue;
    }
    if (/^--(import|require)=.*greenpatch\/register/.test(arg)) continue;
    out.push(arg);
  }
  return out;
}

/**
 * A pool of `size` worker threads running tasks — an export of a module
 * file, called with structured-clonable arguments — while only the calling
 * green thread waits: `apply()` and `map()` block it (outside a green thread
 * they throw `ERR_GREENPATCH_BLOCKING_ON_HUB`, like every blocking call);
 * `run()` returns a promise and works anywhere. A `Timeout` or `kill()` of
 * the waiting thread abandons its task: a queued one never starts, a running
 * one has its worker thread terminated (and replaced).
 *
 * @example
 * ```js
 * const pool = new ThreadPool(2, { filename: new URL('./work.mjs', import.meta.url) });
 * const n = pool.apply('countPrimes', [1e7]);          // blocks this green thread only
 * const all = pool.map('countPrimes', [1e6, 2e6, 3e6]); // up to 2 at a time, in order
 * pool.close(); pool.join();
 * ```
 */
export class ThreadPool {
  /** The most worker threads (and tasks running at once). */
  readonly size: number;
  private readonly piscina: Piscina;
  private readonly filename: string | undefined;
  private closing: Promise<void> | undefined;

  /**
   * @param size - worker threads, an integer >= 1 (default: `os.availableParallelism()`).
   */
  constructor(size: number = availableParallelism(), options: ThreadPoolOptions = {}) {
    if (!(Number.isInteger(size) && size >= 1)) {
      throw codedError('ERR_OUT_OF_RANGE', `ThreadPool: size must be an integer >= 1, got ${size}`, RangeError);
    }
    if (options === null || typeof options !== 'object') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'The "options" argument must be of type object', TypeError);
    }
    this.size = size;
    this.filename = options.filename === undefined ? undefined : toPath(options.filename);
    this.piscina = new Piscina({
      filename: workerFile,
      minThreads: Math.min(options.minThreads ?? 0, size),
      maxThreads: size,
      ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
      execArgv: workerExecArgv(),
    });
  }

  private task(fn: string | TaskSpec, args: unknown): { filename: string; name: string; args: unknown[] } {
    if (this.closing !== undefined) throw codedError('ERR_GREENPATCH_POOL_CLOSED', 'This ThreadPool is closed');
    if (!Array.isArray(args)) throw codedError('ERR_INVALID_ARG_TYPE', 'ThreadPool: args must be an array', TypeError);
    if (typeof fn === 'string') {
      if (this.filename === undefined) {
        throw codedError('ERR_INVALID_ARG_VALUE', `ThreadPool: '${fn}' names an export, but the pool has no filename option`, TypeError);
      }
      return { filename: this.filename, name: fn, args };
    }
    if (fn === null || typeof fn !== 'object' || fn.filename === undefined) {
      throw codedError('ERR_INVALID_ARG_TYPE', 'ThreadPool: a task is an export name or { filename, name }', TypeError);
    }
    return { filename: toPath(fn.filename), name: fn.name ?? 'default', args };
  }

  /** Runs `fn(...args)` on a worker thread; a promise of its result. Works anywhere. */
  run<R = unknown>(fn: string | TaskSpec, args: unknown[] = [], options: { signal?: AbortSignal } = {}): Promise<R> {
    return this.piscina.run(this.task(fn, args), { signal: options.signal ?? null }) as Promise<R>;
  }

  /**
   * Runs `fn(...args)` on a worker thread and blocks the calling green
   * thread until it returns; returns its result or throws its error.
   */
  apply<R = unknown>(fn: string | TaskSpec, args: unknown[] = []): R {
    const task = this.task(fn, args);
    return block<R>('ThreadPool.apply()', (k) => {
      const abort = new AbortController();
      (this.piscina.run(task, { signal: abort.signal }) as Promise<R>).then(
        (value) => k.resume(value),
        (error) => k.fail(error),
      );
      return () => abort.abort();
    });
  }

  /**
   * Calls `fn` on each item (one argument each) on the worker threads, up to
   * `size` at a time, blocking the calling green thread until all are done;
   * returns the results in input order, or throws the first error (the
   * other tasks are then abandoned).
   */
  map<R = unknown>(fn: string | TaskSpec, items: Iterable<unknown>): R[] {
    const tasks = Array.from(items, (item) => this.task(fn, [item]));
    return block<R[]>('ThreadPool.map()', (k) => {
      const abort = new AbortController();
      Promise.all(tasks.map((task) => this.piscina.run(task, { signal: abort.signal }) as Promise<R>)).then(
        (values) => k.resume(values),
        (error) => {
          abort.abort();
          k.fail(error);
        },
      );
      return () => abort.abort();
    });
  }

  /**
   * Stops taking tasks (`apply`, `map`, `run` then throw
   * `ERR_GREENPATCH_POOL_CLOSED`); the ones queued or running finish, then
   * the workers exit. Returns at once, with a promise of that end (which
   * never rejects); `join()` blocks for it.
   */
  close(): Promise<void> {
    this.closing ??= this.piscina.close().then(
      () => undefined,
      () => undefined,
    );
    return this.closing;
  }

  /** Blocks the calling green thread until a closed pool's tasks are done and its workers gone (closes it if not yet). */
  join(): void {
    const closed = this.close();
    block<void>('ThreadPool.join()', (k) => {
      closed.then(() => k.resume());
    });
  }

  /**
   * Terminates the worker threads now: tasks still queued or running fail
   * (their `apply` throws piscina's error). Returns at once, with a
   * promise of the end (which never rejects).
   */
  kill(): Promise<void> {
    const destroyed = this.piscina.destroy().then(
      () => undefined,
      () => undefined,
    );
    this.closing ??= destroyed;
    return destroyed;
  }
}
