// What happens when a server listener running in its own green thread fails
// where stock Node's emit would not have seen it: an error thrown after the
// listener first blocked (emit had returned long before), and a promise a
// listener returns that rejects (EventEmitter's captureRejections).

/**
 * Answers for a server listener whose green thread ended in an error after
 * it blocked: the client must not wait forever. For an HTTP request, a 500
 * when nothing was sent yet, else the connection is destroyed (the response
 * cannot be completed honestly); for a connection, the socket is destroyed.
 */
export function closeAfterFailure(args: readonly unknown[]): void {
  for (const arg of args) {
    if (isResponse(arg)) {
      if (!arg.headersSent && !arg.writableEnded && !arg.destroyed) {
        arg.statusCode = 500;
        arg.setHeader('Connection', 'close');
        arg.end();
      } else if (!arg.writableEnded) {
        arg.destroy();
      }
      return;
    }
  }
  const net = require('node:net') as typeof import('node:net');
  for (const arg of args) {
    if (arg instanceof net.Socket) {
      arg.destroy();
      return;
    }
  }
}

interface Response {
  headersSent: boolean;
  writableEnded: boolean;
  destroyed: boolean;
  statusCode: number;
  setHeader(name: string, value: string): void;
  end(): void;
  destroy(): void;
}

function isResponse(value: unknown): value is Response {
  const http = require('node:http') as typeof import('node:http');
  return value instanceof http.ServerResponse;
}

const kRejection = Symbol.for('nodejs.rejection');

/** Whether `emitter` was made with `captureRejections` (EventEmitter keeps it under a private symbol named kCapture). */
function capturesRejections(emitter: object): boolean {
  for (const symbol of Object.getOwnPropertySymbols(emitter)) {
    if (symbol.description === 'kCapture') return (emitter as Record<symbol, unknown>)[symbol] === true;
  }
  return false;
}

/**
 * What EventEmitter does with a listener's returned promise when the
 * emitter captures rejections: a rejection goes to the emitter's
 * `Symbol.for('nodejs.rejection')` method, or is emitted as 'error', on a
 * later tick. Emitters that do not capture are left alone, as in stock Node.
 */
export function captureRejection(emitter: unknown, result: unknown, type: string | symbol, args: readonly unknown[]): void {
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') return;
  if (emitter === null || typeof emitter !== 'object' || !capturesRejections(emitter)) return;
  const target = emitter as { emit(type: string, error: unknown): boolean } & Record<symbol, unknown>;
  try {
    (result as PromiseLike<unknown>).then(undefined, (error) => {
      process.nextTick(() => {
        const handler = target[kRejection];
        if (typeof handler === 'function') Reflect.apply(handler, target, [error, type, ...args]);
        else target.emit('error', error);
      });
    });
  } catch (error) {
    target.emit('error', error);
  }
}
