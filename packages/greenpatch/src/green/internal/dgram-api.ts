// What the `dgram` patch puts on Node's `dgram` and what greenpatch/green/dgram
// exports of it, the very same values: the blocking socket methods and the
// sockets' green `emit`. Light to load and to apply: it loads no builtin, and
// the blocking machinery (dgram-socket.ts, not in the start-up bundle) loads
// at the first blocking call, so that applying the patch before an ES entry
// on Node 20 costs a program that never blocks next to nothing (see
// deferred.ts).
import type * as dgram from 'node:dgram';

import { deferredFunction, lazily } from './deferred.js';
import { greenEmit } from './listeners.js';

const socket = lazily((): typeof import('./dgram-socket.js') => require('./dgram-socket.js'));

type SocketMethods = typeof import('./dgram-socket.js');

/** The blocking socket methods (names and lengths: dgram-socket.ts's). */
export const socketMethods = {
  recvfrom: deferredFunction<SocketMethods['recvfrom']>('recvfrom', 0, () => socket().recvfrom),
  sendSync: deferredFunction<SocketMethods['sendSync']>('sendSync', 0, () => socket().sendSync),
  bindSync: deferredFunction<SocketMethods['bindSync']>('bindSync', 0, () => socket().bindSync),
  connectSync: deferredFunction<SocketMethods['connectSync']>('connectSync', 2, () => socket().connectSync),
} as const;

/**
 * Adds the blocking methods to `dgram.Socket.prototype`, but those Node has
 * of its own there (`bindSync`, `connectSync` on Node 24+). Done when
 * greenpatch/green/dgram loads or the `dgram` patch is applied, whichever is
 * first; never undone.
 */
export function installBlockingMethods(dgramModule: typeof dgram): void {
  for (const [name, fn] of Object.entries(socketMethods)) {
    if (Object.prototype.hasOwnProperty.call(dgramModule.Socket.prototype, name)) continue;
    Object.defineProperty(dgramModule.Socket.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

// 'message' listeners run each in a green thread of its own, as net servers'
// 'connection' listeners do; every other event is emitted as before.
/** The socket events whose listeners run in green threads. */
export const messageEvent: ReadonlySet<string | symbol> = new Set(['message']);

/**
 * The `emit` greenpatch puts on `dgram.Socket.prototype` when `dgram` is
 * patched: 'message' listeners each run in their own green thread.
 */
export function makeSocketEmit(original: (...args: any[]) => boolean): (...args: any[]) => boolean {
  return greenEmit(messageEvent, () => original, false);
}
