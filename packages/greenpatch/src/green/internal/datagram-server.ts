// DatagramServer, gevent's UDP server: a socket whose every datagram is
// handled by `handler(data, rinfo, server)` in a green thread of its own, so a
// handler may block (sleep, call other services, sendSync its answer) while
// the server goes on serving other datagrams.
import dgram = require('node:dgram');
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';

import { checkMs, GreenThreadExit } from '../../errors.js';
import { Event } from '../../event.js';
import { getCurrent, joinAll, killAll, spawn, type GreenThread } from '../../greenthread.js';
import { blockingOnHubError } from '../../hub.js';
import { reportError } from '../../error-handler.js';
import { DatagramQueue, receiveBufferSize } from './datagram-queue.js';
import { markPlain } from './listeners.js';
import { sendSync } from './dgram-socket.js';
import { block, codedError, mayBlock, runGreen } from './runtime.js';

/** Called for each datagram in a green thread of its own; `this` is the server. */
export type DatagramHandler = (this: DatagramServer, data: Buffer, rinfo: dgram.RemoteInfo, server: DatagramServer) => void;

/**
 * Where a {@link DatagramServer} listens: a port (every IPv4 interface), a
 * `'host:port'` string (`':9000'`, `'127.0.0.1:9000'`, `'[::1]:9000'`), an
 * object with `port` and `address` (and `createSocket` options such as
 * `type`, `reuseAddr`, `recvBufferSize`), or a `dgram.Socket` used as it is
 * (bind it yourself).
 */
export type DatagramListener =
  | number
  | string
  | dgram.Socket
  | ({ port?: number; address?: string; type?: dgram.SocketType } & Omit<dgram.SocketOptions, 'type'>);

/** Options of {@link DatagramServer}. */
export interface DatagramServerOptions {
  /**
   * How many handlers may run at once (default 1000; Infinity for no bound).
   * Datagrams arriving while that many run wait in the server's queue, which
   * holds what the socket's receive buffer would; beyond, they are dropped
   * and counted in `server.dropped`.
   */
  readonly concurrency?: number;
}

const enum State {
  New,
  Started,
  Stopped,
}

function parseListener(listener: DatagramListener): { socket: dgram.Socket; bindTo?: { port: number; address?: string } } {
  if (listener instanceof dgram.Socket) return { socket: listener };
  let port: number | undefined;
  let address: string | undefined;
  let options: dgram.SocketOptions | undefined;
  if (typeof listener === 'number') port = listener;
  else if (typeof listener === 'string') {
    const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(listener) ?? /^()()(\d+)$/.exec(listener);
    if (match === null) {
      throw codedError('ERR_INVALID_ARG_VALUE', `DatagramServer: listener '${listener}' is not 'host:port', ':port' or '[ipv6]:port'`);
    }
    address = (match[1] || match[2]) || undefined;
    port = Number(match[3]);
  } else if (listener !== null && typeof listener === 'object') {
    const { port: p, address: a, type, ...rest } = listener;
    port = p;
    address = a;
    options = { ...rest, type: type ?? (a !== undefined && isIPv6(a) ? 'udp6' : 'udp4') };
  } else {
    throw codedError('ERR_INVALID_ARG_TYPE', 'DatagramServer: listener must be a port, a "host:port" string, an options object or a dgram.Socket');
  }
  options ??= { type: address !== undefined && isIPv6(address) ? 'udp6' : 'udp4' };
  return { socket: dgram.createSocket(options), bindTo: { port: port ?? 0, address } };
}

/**
 * A UDP server in the manner of gevent's: each datagram is handled by
 * `handler(data, rinfo, server)` in a green thread of its own, so handlers
 * may block; at most `concurrency` run at once. `start()` begins serving and
 * returns; `serveForever()` serves until `stop()`, blocking its green thread.
 * An `EventEmitter`: 'listening' once bound, 'close' once stopped, and
 * 'error' for a socket error no `serveForever()` is there to throw (unheard,
 * it is thrown, as Node's sockets do).
 *
 * @example
 * ```js
 * const server = new DatagramServer('127.0.0.1:9000', (data, rinfo, server) => {
 *   server.sendSync(data, rinfo.port, rinfo.address); // an echo
 * });
 * server.serveForever();
 * ```
 */
export class DatagramServer extends EventEmitter {
  /** The server's socket. */
  readonly socket: dgram.Socket;
  /** The most handlers running at once. */
  readonly concurrency: number;
  private readonly handler: DatagramHandler;
  private readonly bindTo: { port: number; address?: string } | undefined;
  private readonly waiting = new DatagramQueue();
  private readonly threads = new Set<GreenThread>();
  private readonly stoppedEvent = new Event();
  private state = State.New;
  private active = 0;
  private serving = 0;
  private failure: { error: unknown } | undefined = undefined;
  private readonly onMessage = (data: Buffer, rinfo: dgram.RemoteInfo): void => this.dispatch(data, rinfo);
  private readonly onError = (error: Error): void => this.fail(error);
  private readonly onClose = (): void => this.halt();
  private readonly onListening = (): void => {
    this.waiting.maxBytes = receiveBufferSize(this.socket) ?? this.waiting.maxBytes;
    this.emit('listening');
  };

  /**
   * @param listener - where to listen (see {@link DatagramListener}).
   * @param handler - called per datagram, in its own green thread.
   */
  constructor(listener: DatagramListener, handler: DatagramHandler, options: DatagramServerOptions = {}) {
    super();
    if (typeof handler !== 'function') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'The "handler" argument must be a function');
    }
    if (options === null || typeof options !== 'object') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'The "options" argument must be of type object', TypeError);
    }
    const concurrency = options.concurrency ?? 1000;
    if (!(concurrency === Infinity || (Number.isInteger(concurrency) && concurrency > 0))) {
      throw codedError('ERR_OUT_OF_RANGE', `DatagramServer: concurrency must be a positive integer or Infinity, got ${concurrency}`);
    }
    const { socket, bindTo } = parseListener(listener);
    this.socket = socket;
    this.bindTo = bindTo;
    this.handler = handler;
    this.concurrency = concurrency;
    markPlain(this.onMessage);
  }

  /** The bound address (`socket.address()`); throws `ERR_SOCKET_DGRAM_NOT_BOUND` before it is bound. */
  get address(): AddressInfo {
    return this.socket.address();
  }

  /** True from `start()` until the server stops. */
  get started(): boolean {
    return this.state === State.Started;
  }

  /** True once the server has stopped (its socket is closed). */
  get closed(): boolean {
    return this.state === State.Stopped;
  }

  /** Datagrams dropped because `concurrency` handlers were running and the server's queue was full. */
  get dropped(): number {
    return this.waiting.dropped;
  }

  /** The number of handlers running now. */
  running(): number {
    return this.active;
  }

  /**
   * Starts serving and returns without waiting for datagrams. Binds the
   * socket it made: inside a green thread, `start()` returns once the socket
   * is bound (so `address` is known) and throws the bind's error; on the hub
   * it returns at once, and 'listening' or 'error' follows. Calling it again
   * while started does nothing.
   *
   * @throws `ERR_SERVER_NOT_RUNNING` once the server has stopped.
   */
  start(): this {
    if (this.state === State.Stopped) {
      throw codedError('ERR_SERVER_NOT_RUNNING', 'This DatagramServer has stopped; make a new one');
    }
    if (this.state === State.Started) return this;
    this.state = State.Started;
    const socket = this.socket;
    socket.on('message', this.onMessage);
    socket.once('close', this.onClose);
    if (this.bindTo === undefined) {
      socket.on('error', this.onError);
      return this;
    }
    socket.once('listening', this.onListening);
    const { port, address } = this.bindTo;
    if (!mayBlock()) {
      socket.on('error', this.onError);
      socket.bind(port, address);
      return this;
    }
    try {
      block<void>('DatagramServer.start()', (k) => {
        const onBound = (): void => {
          socket.off('error', onFailed);
          k.resume();
        };
        const onFailed = (error: Error): void => {
          socket.off('listening', onBound);
          k.fail(error);
        };
        socket.once('listening', onBound);
        socket.once('error', onFailed);
        socket.bind(port, address);
        return () => {
          socket.off('listening', onBound);
          socket.off('error', onFailed);
        };
      });
    } catch (error) {
      this.halt();
      throw error;
    }
    socket.on('error', this.onError);
    return this;
  }

  /**
   * Starts (see {@link start}) and blocks the calling green thread until the
   * server stops: returns after `stop()` (or the socket's closing), throws a
   * socket error that stopped it. Leaving it otherwise (a `Timeout`, a
   * `kill()`) stops the server, as gevent's `serve_forever` does.
   *
   * @throws `ERR_GREENPATCH_BLOCKING_ON_HUB` outside a green thread.
   */
  serveForever(): void {
    if (!mayBlock()) throw blockingOnHubError('DatagramServer.serveForever()');
    this.start();
    this.serving++;
    try {
      while (this.state !== State.Stopped) this.stoppedEvent.wait();
    } catch (error) {
      this.halt();
      this.killHandlersAfter(1000);
      throw error;
    } finally {
      this.serving--;
    }
    if (this.failure !== undefined) throw this.failure.error;
  }

  /**
   * Stops serving: closes the socket (datagrams still waiting for a handler
   * are dropped), wakes `serveForever()`, and gives running handlers
   * `timeout` ms (default 1000) to finish before killing them. Inside a green
   * thread it returns once they are all gone; on the hub it returns at once
   * and the kill follows. A handler may stop its own server: it is not waited
   * for, nor killed.
   */
  stop(timeout = 1000): void {
    checkMs('timeout', timeout);
    this.halt();
    const self = getCurrent();
    const others = [...this.threads].filter((t) => t !== self);
    if (others.length === 0) return;
    if (self === undefined) {
      this.killHandlersAfter(timeout);
      return;
    }
    const finished = new Set(joinAll(others, { timeout }));
    const left = others.filter((t) => !finished.has(t));
    if (left.length > 0) killAll(left, { wait: true });
  }

  /**
   * `socket.sendSync()` on the server's socket: sends and blocks until the
   * kernel has the datagram; returns the bytes sent.
   */
  sendSync(msg: string | Uint8Array | ReadonlyArray<any>, port?: number, address?: string): number {
    return sendSync.call(this.socket, msg, port, address);
  }

  private dispatch(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.state !== State.Started) return;
    if (this.active < this.concurrency) {
      this.active++;
      runGreen(runHandler, this, [data, rinfo]);
    } else {
      this.waiting.push(data, rinfo);
    }
  }

  /** @internal The end of a handler's thread: start the next waiting datagram's. */
  handlerDone(thread: GreenThread | undefined): void {
    if (thread !== undefined) this.threads.delete(thread);
    this.active--;
    if (this.state !== State.Started) return;
    const next = this.waiting.shift();
    if (next === undefined) return;
    this.active++;
    spawn(runHandler.bind(this), next.data, next.rinfo);
  }

  /** @internal */
  handlerStarted(thread: GreenThread): void {
    this.threads.add(thread);
  }

  /** @internal */
  callHandler(data: Buffer, rinfo: dgram.RemoteInfo): void {
    Reflect.apply(this.handler, this, [data, rinfo, this]);
  }

  private fail(error: Error): void {
    if (this.state === State.Stopped) return;
    this.failure = { error };
    this.halt();
    if (this.serving === 0) this.emit('error', error);
  }

  private halt(): void {
    if (this.state === State.Stopped) return;
    const wasStarted = this.state === State.Started;
    this.state = State.Stopped;
    this.waiting.clear();
    const socket = this.socket;
    socket.off('message', this.onMessage);
    socket.off('close', this.onClose);
    socket.off('listening', this.onListening);
    try {
      socket.close();
    } catch {
      // already closed
    }
    this.stoppedEvent.set();
    if (wasStarted) this.emit('close');
  }

  private killHandlersAfter(timeout: number): void {
    if (this.threads.size === 0) return;
    // Unref'd: handlers blocked on something live keep the process up anyway.
    setTimeout(() => {
      for (const t of this.threads) t.kill();
    }, timeout).unref();
  }
}

/** A handler's green thread, started by runGreen or spawn; `this` is the server. */
function runHandler(this: DatagramServer, data: Buffer, rinfo: dgram.RemoteInfo): void {
  const thread = getCurrent();
  if (thread !== undefined) this.handlerStarted(thread);
  try {
    this.callHandler(data, rinfo);
  } catch (error) {
    // As gevent's servers do: a failing handler is reported, the server goes on.
    if (!(error instanceof GreenThreadExit)) reportError(error, thread);
  } finally {
    this.handlerDone(thread);
  }
}
