// Blocking methods for streams and servers, eventlet style: `recv`,
// `recvExactly`, `readLine`, `sendall` on sockets (any Duplex with Node's
// stream state, TLS sockets included) and `accept` on servers. Each suspends
// only the calling green thread. They read in paused mode (`read()`), so
// they never switch a stream into flowing mode behind ordinary code's back;
// what they do not consume stays buffered for whoever reads next.
import type { Server, Socket, AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import { block, callerError, codedError } from './runtime.js';
import { waiterOf } from './stream-waiter.js';

type Chunk = Buffer | string;

/**
 * A socket used through the blocking methods (or made by connectSync or
 * accept) reports its errors by throwing them from the next blocking call
 * (`stream.errored`), so an 'error' between two calls must not crash the
 * process as an unheard event would.
 */
export function quietErrors(stream: Duplex): void {
  waiterOf(stream);
}

/** True when nothing more will ever be read from the stream. */
function atEnd(stream: Duplex): boolean {
  return stream.readableEnded || stream.destroyed || (stream as any)._readableState?.ended === true && stream.readableLength === 0;
}

/** Throws the error the stream was destroyed with, as the blocking call `what` of the caller. */
function throwIfErrored(stream: Duplex, what: string): void {
  if (stream.errored) throw callerError(stream.errored, what); //! node-do-not-add-exception-line
}

/** Everything buffered, as one chunk (read() may hand out one buffered chunk at a time). */
function drain(stream: Duplex): Chunk {
  const parts: Chunk[] = [];
  for (let c = stream.read() as Chunk | null; c !== null; c = stream.read() as Chunk | null) parts.push(c);
  if (parts.length === 0) return emptyLike(stream);
  if (parts.length === 1) return parts[0];
  return typeof parts[0] === 'string' ? parts.join('') : Buffer.concat(parts as Buffer[]);
}

function emptyLike(stream: Duplex): Chunk {
  return stream.readableEncoding ? '' : Buffer.alloc(0);
}

/**
 * Reads whatever is available, at most `max` bytes (characters when an
 * encoding is set), blocking until at least one is there. Returns an empty
 * Buffer (or string) at the end of the stream; throws the stream's error.
 */
export function recv(this: Duplex, max = Infinity): Chunk {
  if (!(max > 0)) throw codedError('ERR_OUT_OF_RANGE', `recv(max): max must be positive, got ${max}`);
  const waiter = waiterOf(this);
  for (;;) {
    throwIfErrored(this, 'socket.recv()');
    if (this.readableLength > 0) {
      const chunk = this.read() as Chunk | null;
      if (chunk !== null) {
        if (chunk.length <= max) return chunk;
        this.unshift(chunk.slice(max));
        return chunk.slice(0, max);
      }
    }
    if (atEnd(this)) {
      // An ended stream emits 'end' only once it is read from.
      this.read();
      return emptyLike(this);
    }
    waiter.waitReadable('socket.recv()');
  }
}

/**
 * Reads exactly `n` bytes, blocking until they are there. Throws
 * `ERR_GREENPATCH_INCOMPLETE_READ` (with the bytes read in `partial`) when the
 * stream ends first.
 */
export function recvExactly(this: Duplex, n: number): Chunk {
  if (!Number.isInteger(n) || n < 0) throw codedError('ERR_OUT_OF_RANGE', `recvExactly(n): n must be a non-negative integer, got ${n}`);
  if (n === 0) return emptyLike(this);
  const waiter = waiterOf(this);
  for (;;) {
    throwIfErrored(this, 'socket.recvExactly()');
    if (this.readableLength >= n) {
      const chunk = this.read(n) as Chunk | null;
      if (chunk !== null) return chunk;
    }
    if (atEnd(this) || (this as any)._readableState?.ended === true) {
      const partial = drain(this);
      const error = codedError(
        'ERR_GREENPATCH_INCOMPLETE_READ',
        `The stream ended after ${partial.length} of ${n} bytes`,
      ) as Error & { code: string; partial: Chunk };
      error.partial = partial;
      throw error;
    }
    waiter.waitReadable('socket.recvExactly()');
  }
}

/**
 * Reads one line and returns it without its `\n` (or `\r\n`), decoded as
 * UTF-8 (or the stream's encoding); blocks until the line is complete.
 * Returns the last, unterminated line as it is, then `null` at the end.
 */
export function readLine(this: Duplex): string | null {
  const waiter = waiterOf(this);
  const parts: Buffer[] = [];
  let text = '';
  const decoding = this.readableEncoding !== null;
  for (;;) {
    throwIfErrored(this, 'socket.readLine()');
    const chunk = (this.readableLength > 0 ? this.read() : null) as Chunk | null;
    if (chunk !== null) {
      const at = typeof chunk === 'string' ? chunk.indexOf('\n') : chunk.indexOf(10);
      if (at >= 0) {
        if (at + 1 < chunk.length) this.unshift(chunk.slice(at + 1));
        const head = chunk.slice(0, at);
        let line = typeof head === 'string' ? text + head : Buffer.concat([...parts, head]).toString('utf8');
        if (line.endsWith('\r')) line = line.slice(0, -1);
        return line;
      }
      if (typeof chunk === 'string') text += chunk;
      else parts.push(chunk);
      continue;
    }
    if (atEnd(this) || (this as any)._readableState?.ended === true) {
      this.read();
      if (decoding ? text.length > 0 : parts.length > 0) {
        return decoding ? text : Buffer.concat(parts).toString('utf8');
      }
      return null;
    }
    waiter.waitReadable('socket.readLine()');
  }
}

/**
 * Writes `data` and blocks until it has been handed to the kernel (or throws
 * the write's error). Returns at once when the write completed synchronously.
 */
export function sendall(this: Duplex, data: Chunk | Uint8Array, encoding?: BufferEncoding): void {
  const waiter = waiterOf(this);
  throwIfErrored(this, 'socket.sendall()');
  if (this.writableEnded || this.destroyed) {
    throw codedError('ERR_STREAM_WRITE_AFTER_END', 'sendall() after the socket was ended or destroyed');
  }
  waiter.issued++;
  if (encoding === undefined) this.write(data, waiter.onWritten);
  else this.write(data, encoding, waiter.onWritten);
  throwIfErrored(this, 'socket.sendall()');
  // A write libuv completed synchronously leaves nothing buffered: the data
  // is in the kernel, which is all sendall promises. Its callback still comes
  // on the next tick; we need not wait for it.
  if (this.writableLength === 0 && waiter.writeError === null) return;
  if (waiter.written < waiter.issued) waiter.waitFlushed('socket.sendall()');
  if (waiter.writeError !== null) throw callerError(waiter.writeError, 'socket.sendall()'); //! node-do-not-add-exception-line
}

// ---- servers ----

const kAccept = Symbol('greenpatch.accept');

/** @internal */
export interface AcceptState {
  queue: Socket[];
  waiters: Array<{ resume(s: Socket): void; fail(e: unknown): void }>;
  closed: boolean;
  listener: (socket: Socket) => void;
}

/** Marks a listener that greenpatch's server patches must call plainly, never in a green thread. */
export const kPlainListener = Symbol.for('greenpatch.plainListener');

/** The per-server queue of accepted connections and waiting accepters. */
export function acceptState(server: Server): AcceptState {
  const s = server as Server & { [kAccept]?: AcceptState };
  let state = s[kAccept];
  if (state !== undefined) return state;
  const created: AcceptState = {
    queue: [],
    waiters: [],
    closed: false,
    listener: (socket) => {
      const waiter = created.waiters.shift();
      if (waiter !== undefined) waiter.resume(socket);
      else created.queue.push(socket);
    },
  };
  (created.listener as any)[kPlainListener] = true;
  server.on('connection', created.listener);
  server.once('close', () => {
    created.closed = true;
    for (const waiter of created.waiters.splice(0)) {
      waiter.fail(codedError('ERR_SERVER_NOT_RUNNING', 'The server was closed while accept() was waiting'));
    }
  });
  s[kAccept] = created;
  return created;
}

/**
 * Blocks until a client connects and returns `[socket, address]`. Connections
 * arriving while nobody is in `accept()` wait in a queue (from the first
 * `accept()` on, or from the start for servers made by `listen()`). Throws
 * `ERR_SERVER_NOT_RUNNING` once the server is closed.
 */
export function accept(this: Server): [Socket, AddressInfo] {
  const state = acceptState(this);
  let socket = state.queue.shift();
  if (socket === undefined) {
    if (state.closed) {
      throw codedError('ERR_SERVER_NOT_RUNNING', 'accept() on a server that is not listening');
    }
    socket = block<Socket>('server.accept()', (k) => {
      const waiter = { resume: (s: Socket) => k.resume(s), fail: (e: unknown) => k.fail(e) };
      state.waiters.push(waiter);
      return () => {
        const at = state.waiters.indexOf(waiter);
        if (at >= 0) state.waiters.splice(at, 1);
      };
    });
  }
  quietErrors(socket);
  const address: AddressInfo = {
    address: socket.remoteAddress ?? '',
    family: socket.remoteFamily ?? '',
    port: socket.remotePort ?? 0,
  };
  return [socket, address];
}
