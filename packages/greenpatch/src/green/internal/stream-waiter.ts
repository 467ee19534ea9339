// The wait state the blocking socket methods keep on each stream they are
// used on: one green thread waiting to read, one waiting for its writes to
// be flushed, and the listeners that wake them, created once per stream. A
// wait parks its thread on the hub without allocating anything: with
// thousands of connections, whatever a wait allocates is alive (and copied
// by every young-generation collection) for as long as the thread is
// blocked.
import type { Duplex } from 'node:stream';

import { TurnBatch } from '../../turn-batch.js';
import { codedError, park, requireTask, wakeParked, type Task } from './runtime.js';

const kWaiter = Symbol('greenpatch.streamWaiter');

/** @internal */
export class StreamWaiter {
  /** The thread blocked until the stream is readable (or ends, or closes). */
  reader: Task | undefined = undefined;
  /** The thread blocked until `written` reaches `flushTarget`. */
  writer: Task | undefined = undefined;
  /** sendall() writes issued and completed; completions come in order. */
  issued = 0;
  written = 0;
  flushTarget = 0;
  /** The first error a sendall() write completed with. */
  writeError: Error | null = null;
  /** Our 'readable' listener is on the stream (it stays there between waits, see release()). */
  listening = false;
  /** Queued for a release() check on the next hub turn. */
  releaseQueued = false;

  readonly onReadable = (): void => {
    const task = this.reader;
    if (task === undefined) return;
    this.reader = undefined;
    if (!this.releaseQueued) {
      this.releaseQueued = true;
      releasing.add(this);
    }
    wakeParked(task, undefined, false);
  };

  readonly onWritten = (error?: Error | null): void => {
    this.written++;
    if (error && this.writeError === null) this.writeError = error;
    const task = this.writer;
    if (task === undefined || (this.written < this.flushTarget && !error)) return;
    this.writer = undefined;
    if (error) wakeParked(task, error, true);
    else wakeParked(task, undefined, false);
  };

  readonly onClose = (): void => {
    // A reader re-checks the stream (ended, destroyed, errored) when woken.
    this.onReadable();
    const task = this.writer;
    if (task === undefined) return;
    this.writer = undefined;
    const error =
      this.stream.errored ??
      this.writeError ??
      codedError('ERR_STREAM_DESTROYED', 'The socket was destroyed before sendall() finished');
    wakeParked(task, error, true);
  };

  constructor(readonly stream: Duplex) {}

  /** Blocks the current green thread until the stream is readable, has ended or has closed. */
  waitReadable(what: string): void {
    const task = requireTask(what);
    if (this.reader !== undefined) throw busy(what, 'reading');
    this.reader = task;
    if (!this.listening) {
      this.listening = true;
      this.stream.on('readable', this.onReadable);
    }
    park(task, what, withdrawReader, this);
  }

  /**
   * Takes our 'readable' listener off the stream unless a reader is waiting
   * again. A listener keeps the stream in paused mode, so it must not stay
   * once the thread has stopped reading (it may hand the socket to code
   * that reads with 'data'); but a thread that reads in a loop waits again
   * right after each wake, and adding and removing the listener every time
   * costs two event-loop ticks per read.
   */
  release(): void {
    this.releaseQueued = false;
    if (this.reader !== undefined || !this.listening) return;
    this.listening = false;
    this.stream.removeListener('readable', this.onReadable);
  }

  /** Blocks the current green thread until every sendall() write issued so far has completed. */
  waitFlushed(what: string): void {
    const task = requireTask(what);
    if (this.writer !== undefined) throw busy(what, 'writing');
    this.flushTarget = this.issued;
    this.writer = task;
    park(task, what, withdrawWriter, this);
  }
}

function withdrawReader(waiter: StreamWaiter): void {
  waiter.reader = undefined;
  waiter.release();
}

// Waiters whose reader was woken: on the next hub turn, those whose thread
// has not waited again give up their 'readable' listener.
const releasing = new TurnBatch<StreamWaiter>((waiter) => waiter.release());

function withdrawWriter(waiter: StreamWaiter): void {
  waiter.writer = undefined;
}

function busy(what: string, doing: string): Error {
  return codedError(
    'ERR_GREENPATCH_STREAM_BUSY',
    `${what}: another green thread is already blocked ${doing} this stream; one reader and one writer at a time`,
  );
}

/**
 * The stream's wait state, made on first use. From then on the stream has
 * a listener for 'close' (which wakes its waiters) and one for 'error': a
 * stream used through the blocking methods reports its errors by throwing
 * them from the next blocking call (`stream.errored`), so an 'error'
 * between two calls must not crash the process as an unheard event would.
 */
export function waiterOf(stream: Duplex): StreamWaiter {
  const s = stream as Duplex & { [kWaiter]?: StreamWaiter };
  let waiter = s[kWaiter];
  if (waiter === undefined) {
    waiter = new StreamWaiter(stream);
    s[kWaiter] = waiter;
    stream.on('error', noop);
    stream.on('close', waiter.onClose);
  }
  return waiter;
}

function noop(): void {}
