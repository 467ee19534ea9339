// Blocking methods for UDP sockets, gevent style: `recvfrom` and `sendSync`,
// and, on Node versions that lack Node's own, `bindSync` and `connectSync`.
// Each suspends only the calling green thread.
//
// A socket starts keeping datagrams for `recvfrom` at its first `recvfrom` or
// `sendSync` (a reply can come back before the sender asks for it): from then
// on, a datagram that arrives while no green thread waits in `recvfrom` is
// queued (see datagram-queue.ts for the bound) rather than lost. 'message'
// listeners the socket has meanwhile still get every datagram.
import dgram = require('node:dgram');
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';

import { DatagramQueue, receiveBufferSize, received, type ReceivedDatagram } from './datagram-queue.js';
import { markPlain } from './listeners.js';
import { block, callerError, codedError, type Waker } from './runtime.js';

const kReceiver = Symbol('greenpatch.dgramReceiver');

interface Waiter {
  readonly k: Waker<ReceivedDatagram>;
  readonly max: number;
}

function notRunning(): Error {
  return codedError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
}

/** One socket's queue of datagrams for recvfrom and the green threads waiting in it. */
class Receiver {
  readonly queue = new DatagramQueue();
  readonly waiters: Waiter[] = [];
  /** An 'error' the socket emitted while nobody waited: thrown, once, by the next recvfrom. */
  pending: { error: unknown } | undefined = undefined;
  closed = false;

  constructor(socket: dgram.Socket) {
    this.closed = isClosed(socket);
    const size = receiveBufferSize(socket);
    if (size !== undefined) this.queue.maxBytes = size;
    else {
      socket.once('listening', () => {
        this.queue.maxBytes = receiveBufferSize(socket) ?? this.queue.maxBytes;
      });
    }
    const onMessage = (data: Buffer, rinfo: dgram.RemoteInfo): void => {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter.k.resume(received(data, rinfo, waiter.max));
      else this.queue.push(data, rinfo);
    };
    markPlain(onMessage);
    socket.on('message', onMessage);
    // A socket used through these methods reports its errors by throwing them
    // from recvfrom, so an 'error' between two calls must not crash the
    // process as an unheard event would.
    socket.on('error', (error: Error) => {
      if (this.waiters.length === 0) {
        this.pending = { error };
        return;
      }
      for (const waiter of this.waiters.splice(0)) waiter.k.fail(error);
    });
    socket.once('close', () => {
      this.closed = true;
      this.queue.clear();
      for (const waiter of this.waiters.splice(0)) waiter.k.fail(notRunning());
    });
  }
}

/** Closed, though its 'close' event (emitted a tick after close()) may not have come yet. */
function isClosed(socket: dgram.Socket): boolean {
  try {
    socket.address();
    return false;
  } catch (error) {
    return (error as { code?: unknown }).code === 'ERR_SOCKET_DGRAM_NOT_RUNNING';
  }
}

function receiverOf(socket: dgram.Socket): Receiver {
  const s = socket as dgram.Socket & { [kReceiver]?: Receiver };
  return (s[kReceiver] ??= new Receiver(socket));
}

/**
 * Blocks until a datagram is there and returns it with its sender:
 * `{ data, address, family, port, size }`. With `max`, at most `max` bytes
 * of the payload (the rest of that datagram is discarded, as a short buffer
 * does to it in the kernel; `size` tells its full size). Throws, once, an
 * error the socket emitted since the last call, and
 * `ERR_SOCKET_DGRAM_NOT_RUNNING` once the socket is closed. A socket that is
 * not bound yet receives once it is (by `bind`, `bindSync` or a first send).
 */
export function recvfrom(this: dgram.Socket, max = Infinity): ReceivedDatagram {
  if (!(typeof max === 'number' && max > 0)) {
    throw codedError('ERR_OUT_OF_RANGE', `recvfrom(max): max must be a positive number, got ${String(max)}`);
  }
  const receiver = receiverOf(this);
  if (receiver.pending !== undefined) {
    const { error } = receiver.pending;
    receiver.pending = undefined;
    throw callerError(error, 'socket.recvfrom()'); //! node-do-not-add-exception-line
  }
  const next = receiver.queue.shift();
  if (next !== undefined) return received(next.data, next.rinfo, max);
  if (receiver.closed || isClosed(this)) throw notRunning();
  return block<ReceivedDatagram>('socket.recvfrom()', (k) => {
    const waiter: Waiter = { k, max };
    receiver.waiters.push(waiter);
    return () => {
      const at = receiver.waiters.indexOf(waiter);
      if (at >= 0) receiver.waiters.splice(at, 1);
    };
  });
}

/**
 * Sends a datagram and blocks until it has been handed to the kernel;
 * returns the number of bytes sent, or throws the send's error. Takes what
 * `socket.send` takes, without the callback: `(msg, port?, address?)`,
 * `(msg, offset, length, port?, address?)`, `(msg)` on a connected socket.
 * A `Timeout` or `kill()` stops the wait, not the send.
 */
export function sendSync(this: dgram.Socket, ...args: any[]): number {
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  if (typeof args[args.length - 1] === 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'sendSync() takes no callback; it returns the number of bytes sent');
  }
  // Replies may arrive before the sender calls recvfrom: keep them from now on.
  receiverOf(this);
  return block<number>('socket.sendSync()', (k) => {
    (this.send as (...a: any[]) => void)(...args, (error: Error | null, bytes: number) => {
      if (error) k.fail(error);
      else k.resume(bytes);
    });
  });
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

function checkNumericAddress(name: string, address: unknown): void {
  if (typeof address !== 'string') {
    throw codedError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type string`);
  }
  if (isIP(address) === 0) {
    throw codedError('ERR_INVALID_ARG_VALUE', `The argument '${name}' must be a numeric IP address; received '${address}'`);
  }
}

/**
 * Node's `socket.bindSync(options?)` (Node 24+) for Node versions without it:
 * binds to `options.port` (default 0: any) and `options.address` (a numeric
 * IP; default every interface) and returns `socket.address()`. Node's binds
 * at once; this one blocks the green thread for the tick Node's `bind` takes,
 * and outside a green thread throws `ERR_GREENPATCH_BLOCKING_ON_HUB`. Errors
 * (`EADDRINUSE`, `ERR_SOCKET_ALREADY_BOUND`, ...) are thrown. An interrupted
 * `bindSync` (Timeout, kill) closes the socket.
 */
export function bindSync(this: dgram.Socket, options: { port?: number; address?: string } = {}): AddressInfo {
  if (options === null || typeof options !== 'object') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "options" argument must be of type object');
  }
  const { port = 0, address } = options;
  if (address) checkNumericAddress('options.address', address);
  return block<AddressInfo>('socket.bindSync()', (k) => {
    const onListening = (): void => {
      this.off('error', onError);
      k.resume(this.address());
    };
    const onError = (error: Error): void => {
      this.off('listening', onListening);
      k.fail(error);
    };
    const detach = (): void => {
      this.off('listening', onListening);
      this.off('error', onError);
    };
    this.once('listening', onListening);
    this.once('error', onError);
    try {
      // exclusive: the socket binds here even in a cluster worker, as Node's bindSync does.
      this.bind({ port, address: address || undefined, exclusive: true });
    } catch (error) {
      detach();
      throw error;
    }
    return () => {
      detach();
      closeQuietly(this);
    };
  });
}

/**
 * Node's `socket.connectSync(port, address?)` (Node 24+) for Node versions
 * without it: associates the socket with one peer (binding it first if it is
 * not bound); `address` is a numeric IP, by default loopback. Blocks the green
 * thread for the tick Node's `connect` takes; outside a green thread throws
 * `ERR_GREENPATCH_BLOCKING_ON_HUB`. An interrupted `connectSync` closes the socket.
 */
export function connectSync(this: dgram.Socket, port: number, address?: string): void {
  if (address !== undefined && address !== null && address !== '') checkNumericAddress('address', address);
  block<void>('socket.connectSync()', (k) => {
    this.connect(port, address || undefined, (error?: Error) => {
      if (error) k.fail(error);
      else k.resume();
    });
    return () => closeQuietly(this);
  });
}
