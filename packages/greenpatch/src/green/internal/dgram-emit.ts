// 'message' listeners of UDP sockets, each run in a green thread of its own,
// as net servers' 'connection' listeners are: the replacement `emit` calls
// the listeners in the same order, with the same `this` and arguments, as
// EventEmitter's own; each starts at once in its green thread, so a listener
// that never blocks has finished, and what it throws has propagated out of
// `emit`, exactly as before. One that blocks lets `emit` (and Node's event
// loop) go on. Every other event goes to the emit this replaces, untouched.
import { runGreen } from './runtime.js';

/** Listeners called plainly: greenpatch's own (the recvfrom queue, DatagramServer's dispatcher). */
const plain = new WeakSet<Function>();

/** Marks `listener` to be called plainly, never in a green thread of its own. */
export function markPlainMessageListener(listener: Function): void {
  plain.add(listener);
}

function isPlain(listener: Function): boolean {
  if (plain.has(listener)) return true;
  const inner = (listener as { listener?: unknown }).listener;
  return typeof inner === 'function' && plain.has(inner);
}

type Emit = (this: any, type: any, ...args: any[]) => boolean;

/** An `emit` running 'message' listeners in green threads; `fallback()` is the emit it replaces. */
export function makeMessageEmit(fallback: () => Emit): Emit {
  // `arguments` rather than rest parameters: every other event passes on without a copy.
  return function emit(this: any, type: string | symbol): boolean {
    if (type !== 'message') return Reflect.apply(fallback(), this, arguments);
    // A copy (listeners added or removed meanwhile count from the next
    // emit, as in EventEmitter), with `once` wrappers, which remove themselves.
    const listeners = this.rawListeners(type) as Function[];
    if (listeners.length === 0) return Reflect.apply(fallback(), this, arguments);
    const args = new Array<unknown>(arguments.length - 1);
    for (let i = 1; i < arguments.length; i++) args[i - 1] = arguments[i];
    for (const listener of listeners) {
      if (isPlain(listener)) Reflect.apply(listener, this, args);
      else runGreen(listener, this, args);
    }
    return true;
  } as Emit;
}
