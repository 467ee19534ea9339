// Synchronous-style HTTP client calls shared by green/http and green/https:
// `requestSync` sends a request and blocks the green thread until the
// response head is there; the body is then read with blocking methods.
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';
import http = require('node:http');

import { block, callerError, codedError } from './runtime.js';

/** A request body: sent as it is. */
export type Body = string | Uint8Array;

/**
 * A response whose head has arrived. Its body is read with blocking methods
 * (each suspends only the green thread); reading it to the end lets a
 * keep-alive agent reuse the connection.
 */
export class SyncResponse {
  /** The response stream itself, for ordinary (event or async) reading. */
  readonly message: IncomingMessage;
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly httpVersion: string;

  constructor(message: IncomingMessage) {
    if (!(message instanceof http.IncomingMessage)) {
      throw codedError('ERR_INVALID_ARG_TYPE', 'new SyncResponse(message): message must be an http.IncomingMessage');
    }
    this.message = message;
    this.statusCode = message.statusCode ?? 0;
    this.statusMessage = message.statusMessage ?? '';
    this.headers = message.headers;
    this.rawHeaders = message.rawHeaders;
    this.httpVersion = message.httpVersion;
  }

  /** Trailers, once the body has been read to its end. */
  get trailers(): NodeJS.Dict<string> {
    return this.message.trailers;
  }

  /**
   * Reads up to `n` bytes of the body, blocking until `n` are there or the
   * body ends; with no `n`, the rest of the body. Returns an empty Buffer at
   * the end.
   */
  read(n?: number): Buffer {
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) {
      throw codedError('ERR_OUT_OF_RANGE', `read(n): n must be a non-negative integer, got ${n}`);
    }
    if (n === 0) return Buffer.alloc(0);
    const stream: Readable = this.message;
    const parts: Buffer[] = [];
    let have = 0;
    for (;;) {
      if (stream.errored) throw callerError(stream.errored, 'response.read()'); //! node-do-not-add-exception-line
      const want = n === undefined ? undefined : n - have;
      if (stream.readableLength > 0) {
        const chunk = (want !== undefined && stream.readableLength >= want ? stream.read(want) : stream.read()) as Buffer | null;
        if (chunk !== null) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          parts.push(buffer);
          have += buffer.length;
          if (n !== undefined && have >= n) break;
          continue;
        }
      }
      if (stream.readableEnded || (stream as any)._readableState?.ended === true) {
        stream.read(); // lets 'end' be emitted, so the socket goes back to its agent
        break;
      }
      if (stream.destroyed) {
        // Destroyed before the end (the connection broke): an error, as the
        // 'aborted'/'error' events would tell an ordinary reader.
        throw callerError(stream.errored ?? codedError('ECONNRESET', 'The response was cut short'), 'response.read()'); //! node-do-not-add-exception-line
      }
      waitForMore(stream);
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The whole (rest of the) body as a Buffer. */
  body(): Buffer {
    return this.read();
  }

  /** The whole body decoded as UTF-8 (or `encoding`). */
  text(encoding: BufferEncoding = 'utf8'): string {
    return this.read().toString(encoding);
  }

  /** The whole body parsed as JSON. */
  json<T = any>(): T {
    return JSON.parse(this.text()) as T;
  }
}

function waitForMore(stream: Readable): void {
  block<void>('response.read()', (k) => {
    const off = (): void => {
      stream.off('readable', done);
      stream.off('close', done);
      stream.off('error', failed);
    };
    const done = (): void => {
      off();
      k.resume();
    };
    const failed = (error: unknown): void => {
      off();
      k.fail(error);
    };
    stream.on('readable', done);
    stream.on('close', done);
    stream.on('error', failed);
    return off;
  });
}

/**
 * Sends a request made by `start` (which calls `http.request` or
 * `https.request`), writes `body`, and blocks until the response head is
 * there. Throws Node's error (ECONNREFUSED, ...). Abandoning the wait (a
 * Timeout, a kill) destroys the request.
 */
export function sendSync(what: string, start: () => ClientRequest, body: Body | undefined): SyncResponse {
  return block<SyncResponse>(what, (k) => {
    const request = start();
    let settled = false;
    const onResponse = (message: IncomingMessage): void => {
      settled = true;
      request.off('error', onError);
      // A later error (the connection breaking mid-body) is reported by the
      // body's reads; it must not crash the process as an unheard event.
      request.on('error', ignore);
      k.resume(new SyncResponse(message));
    };
    const onError = (error: Error): void => {
      settled = true;
      request.off('response', onResponse);
      k.fail(error);
    };
    request.once('response', onResponse);
    request.once('error', onError);
    if (body !== undefined) {
      // A body of known length gets its Content-Length, so that it is framed
      // for every method (Node frames only POST-like requests by default).
      if (!request.headersSent && !request.hasHeader('content-length') && !request.hasHeader('transfer-encoding')) {
        request.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
      }
      request.end(body);
    } else {
      request.end();
    }
    return () => {
      if (!settled) {
        request.off('response', onResponse);
        request.off('error', onError);
        request.on('error', ignore);
        request.destroy();
      }
    };
  });
}

function ignore(): void {}

/** Splits `requestSync`'s arguments: (url | options, body?) or (url, options, body?). */
export function requestArgs(args: unknown[]): { call: unknown[]; body: Body | undefined } {
  const [first, second, third] = args;
  if ((typeof first === 'string' || first instanceof URL) && second !== null && typeof second === 'object' && !(second instanceof Uint8Array)) {
    return { call: [first, second as RequestOptions], body: third as Body | undefined };
  }
  return { call: [first], body: second as Body | undefined };
}
