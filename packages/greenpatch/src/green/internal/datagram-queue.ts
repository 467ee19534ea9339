// A bounded FIFO of received datagrams. Node reads every datagram out of the
// kernel as soon as it arrives and emits it, whether or not anyone listens; a
// green socket keeps the ones no green thread is waiting for here, bounded as
// the kernel bounds its own receive buffer: a datagram arriving at a full
// queue is dropped (UDP promises no delivery), and counted.
import type { RemoteInfo } from 'node:dgram';

/** A datagram as `socket.recvfrom()` returns it: the payload and where it came from. */
export interface ReceivedDatagram {
  /** The payload (at most `max` bytes of it when `recvfrom(max)` was given a smaller `max`). */
  data: Buffer;
  /** The sender's address. */
  address: string;
  /** `'IPv4'` or `'IPv6'`. */
  family: string;
  /** The sender's port. */
  port: number;
  /** The datagram's full size in bytes: larger than `data.length` when it was truncated. */
  size: number;
}

/** The most datagrams a queue holds, whatever their size (empty datagrams cost memory too). */
export const MAX_QUEUED_DATAGRAMS = 4096;
/** The payload bytes a queue holds when the socket's receive buffer size is unknown: Linux's default SO_RCVBUF. */
export const DEFAULT_QUEUE_BYTES = 212_992;

/** @internal */
export class DatagramQueue {
  private items: Array<{ data: Buffer; rinfo: RemoteInfo } | undefined> = [];
  private head = 0;
  private bytes = 0;
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  /** The most payload bytes held at once (the socket's receive buffer size, when known). */
  maxBytes = DEFAULT_QUEUE_BYTES;

  get length(): number {
    return this.items.length - this.head;
  }

  /** Queues a datagram; returns false (and counts it) when the queue is full. */
  push(data: Buffer, rinfo: RemoteInfo): boolean {
    if (this.length >= MAX_QUEUED_DATAGRAMS || (this.length > 0 && this.bytes + data.length > this.maxBytes)) {
      this.dropped++;
      return false;
    }
    this.items.push({ data, rinfo });
    this.bytes += data.length;
    return true;
  }

  shift(): { data: Buffer; rinfo: RemoteInfo } | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.bytes -= item!.data.length;
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}

/** The receive buffer size of a bound socket, or undefined while it is not bound. */
export function receiveBufferSize(socket: { getRecvBufferSize(): number }): number | undefined {
  try {
    const size = socket.getRecvBufferSize();
    return size > 0 ? size : undefined;
  } catch {
    return undefined;
  }
}

/** The datagram as recvfrom returns it, cut to `max` bytes. */
export function received(data: Buffer, rinfo: RemoteInfo, max: number): ReceivedDatagram {
  return {
    data: data.length > max ? data.subarray(0, max) : data,
    address: rinfo.address,
    family: rinfo.family,
    port: rinfo.port,
    size: rinfo.size,
  };
}
