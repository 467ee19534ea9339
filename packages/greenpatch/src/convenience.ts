// eventlet's top-level conveniences: `listen`, `connect`, `serve` and
// `StopServe`. They live beside the green modules rather than in them because
// `connect` would clash with `net.connect`, which must stay Node's own.
import net = require('node:net');

import { spawn } from './greenthread.js';
import { block, blockUntilEvent, codedError } from './green/internal/runtime.js';
import { acceptState } from './green/internal/socket.js';
import { connectSync } from './green/net.js';
import { describeValue } from './errors.js';

/**
 * Creates a TCP server listening on `port` (0: any free port) and `host`
 * (Node's default: every interface) and blocks the green thread until it
 * listens; throws Node's error (EADDRINUSE, ...). Take connections with
 * `server.accept()` or {@link serve}. Also `listen(options)` with what
 * `server.listen` takes, or `listen(path)` for a Unix socket.
 */
export function listen(port: number, host?: string, backlog?: number): net.Server;
export function listen(path: string): net.Server;
export function listen(options: net.ListenOptions): net.Server;
export function listen(portOrOptions: number | string | net.ListenOptions, host?: string, backlog?: number): net.Server {
  const options: net.ListenOptions =
    typeof portOrOptions === 'number'
      ? { port: portOrOptions, host, backlog }
      : typeof portOrOptions === 'string'
        ? { path: portOrOptions, backlog }
        : portOrOptions;
  const server = new net.Server();
  // Queue connections from the start, so that none is lost before the first accept().
  acceptState(server);
  return blockUntilEvent(
    'listen()',
    'listening',
    () => server.listen(options),
    () => server,
    () => server.close(),
  );
}

/**
 * Connects and blocks the green thread until connected: `connect(port,
 * host?)`, `connect(path)` or `connect(options)`. The same as
 * `net.connectSync`.
 */
export const connect: typeof connectSync = connectSync;

/**
 * Thrown by a {@link serve} handler to stop serving: `serve()` then stops
 * accepting and returns. Code `ERR_GREENPATCH_STOP_SERVE`.
 */
export class StopServe extends Error {
  readonly code = 'ERR_GREENPATCH_STOP_SERVE';
  constructor(message = 'serve() was asked to stop') {
    super(message);
    this.name = 'StopServe';
  }
}

/** Options of {@link serve}. */
export interface ServeOptions {
  /** How many handlers may run at once (default 1000); further clients wait in the accept queue. */
  readonly concurrency?: number;
}

type Handler = (socket: net.Socket, address: net.AddressInfo) => void;

/**
 * Serves connections from `server` (e.g. from {@link listen}): accepts in the
 * calling green thread, which it blocks, and runs `handler(socket, address)`
 * for each client in a green thread of its own, at most `concurrency` at a
 * time. When a handler returns, its socket is ended (unless already
 * destroyed). Returns when a handler throws {@link StopServe} or the server
 * is closed; a handler's other errors stop serving too and are thrown from
 * `serve()`. Handlers still running go on.
 */
export function serve(server: net.Server, handler: Handler, options: ServeOptions = {}): void {
  if (!(server instanceof net.Server)) throw codedError('ERR_INVALID_ARG_TYPE', 'serve(server, handler): server must be a net.Server (from listen())');
  if (typeof handler !== 'function') throw codedError('ERR_INVALID_ARG_TYPE', 'serve(server, handler): handler must be a function');
  if (options === null || typeof options !== 'object') throw codedError('ERR_INVALID_ARG_TYPE', 'serve(server, handler, options): options must be an object');
  const concurrency = options.concurrency ?? 1000;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) {
    throw codedError('ERR_OUT_OF_RANGE', `serve(): concurrency must be a positive integer, got ${describeValue(concurrency)}`);
  }
  const state = acceptState(server);
  let active = 0;
  let stopped: { error?: unknown } | undefined;
  // The serve loop's current wait (for a client or a free slot), woken with
  // null by a handler that ends or stops serving.
  let waiting: ((socket: net.Socket | null) => void) | undefined;
  const wake = (): void => {
    const w = waiting;
    waiting = undefined;
    w?.(null);
  };
  for (;;) {
    if (stopped !== undefined) break;
    if (active >= concurrency) {
      block<net.Socket | null>('serve()', (k) => {
        waiting = (s) => k.resume(s);
        return () => (waiting = undefined);
      });
      continue;
    }
    let socket = state.queue.shift();
    if (socket === undefined) {
      if (state.closed) break;
      const got = block<net.Socket | null>('serve()', (k) => {
        const waiter = {
          resume: (s: net.Socket) => {
            waiting = undefined;
            k.resume(s);
          },
          // The server closed: serving is over.
          fail: () => {
            waiting = undefined;
            k.resume(null);
          },
        };
        const withdraw = (): void => {
          const at = state.waiters.indexOf(waiter);
          if (at >= 0) state.waiters.splice(at, 1);
        };
        state.waiters.push(waiter);
        waiting = (s) => {
          withdraw();
          k.resume(s);
        };
        return () => {
          waiting = undefined;
          withdraw();
        };
      });
      if (got === null) continue;
      socket = got;
    }
    const address: net.AddressInfo = {
      address: socket.remoteAddress ?? '',
      family: socket.remoteFamily ?? '',
      port: socket.remotePort ?? 0,
    };
    active++;
    const client = socket;
    const thread = spawn(() => {
      try {
        handler(client, address);
      } catch (error) {
        if (stopped === undefined) stopped = error instanceof StopServe ? {} : { error };
        wake();
      } finally {
        if (!client.destroyed) client.end();
        active--;
        wake();
      }
    });
    thread.name = `serve-${address.address}:${address.port}`;
  }
  if (stopped?.error !== undefined) throw stopped.error;
}
