// greenpatch/green/dgram: Node's `dgram`, plus what blocks only the calling
// green thread. Every export of `node:dgram` is here and behaves as in stock
// Node; added: sockets whose 'message' listeners run each in a green thread
// (`Socket`, `createSocket`), and `DatagramServer`. Loading this module adds
// the blocking methods `recvfrom` and `sendSync` to `dgram.Socket.prototype`,
// and `bindSync` and `connectSync` where Node (before 24) lacks its own:
// names Node does not use there, so nothing else changes.
import dgram = require('node:dgram');

import * as api from './internal/dgram-api.js';
import { greenEmit } from './internal/listeners.js';

export * from 'node:dgram';
export { DatagramServer, type DatagramHandler, type DatagramServerOptions, type DatagramListener } from './internal/datagram-server.js';
export type { ReceivedDatagram } from './internal/datagram-queue.js';

// The names of node:dgram for ESM importers: Node learns a CommonJS module's
// named exports by reading its source, and does not follow the re-export of a
// builtin above. This never runs.
if ((0 as number) === 1) {
  exports._createSocketHandle = undefined;
}

declare module 'dgram' {
  interface Socket {
    /** Blocks the green thread until a datagram is there; returns it with its sender (at most `max` bytes of it). */
    recvfrom(max?: number): import('./internal/datagram-queue.js').ReceivedDatagram;
    /** Sends (what `send` takes, without the callback) and blocks until the kernel has it; returns the bytes sent. */
    sendSync(msg: string | Uint8Array | ReadonlyArray<any>, port?: number, address?: string): number;
    sendSync(msg: string | Uint8Array, offset: number, length: number, port?: number, address?: string): number;
    /** Binds (numeric address only) and returns the bound address: Node's own on Node 24+, green-blocking before. */
    bindSync(options?: { port?: number; address?: string }): import('node:net').AddressInfo;
    /** Connects to one peer (numeric address only): Node's own on Node 24+, green-blocking before. */
    connectSync(port: number, address?: string): void;
  }
}

// What the `dgram` patch puts on `dgram` is defined in internal/dgram-api.ts,
// and exported here: the very same values.

/** The blocking socket methods, as installed on `dgram.Socket.prototype` (Node's own `bindSync`/`connectSync` where it has them). */
export const socketMethods = api.socketMethods;
api.installBlockingMethods(dgram);

/**
 * The `emit` greenpatch puts on `dgram.Socket.prototype` when `dgram` is
 * patched: 'message' listeners each run in their own green thread.
 */
export const makeSocketEmit = api.makeSocketEmit;

/** A `dgram.Socket` whose 'message' listeners each run in their own green thread. */
export class Socket extends dgram.Socket {}
Object.defineProperty(Socket.prototype, 'emit', {
  value: greenEmit(api.messageEvent, () => dgram.Socket.prototype.emit, false),
  writable: true,
  configurable: true,
  enumerable: false,
});

/** `dgram.createSocket`, returning a {@link Socket}. */
export function createSocket(type: dgram.SocketType, callback?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void): Socket;
export function createSocket(options: dgram.SocketOptions, callback?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void): Socket;
export function createSocket(...args: any[]): Socket {
  return new (Socket as any)(...args);
}
