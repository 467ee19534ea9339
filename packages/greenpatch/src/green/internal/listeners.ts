// Server events whose listeners run each in a green thread of its own
// ('connection' on net servers, 'request' on HTTP servers). The replacement
// `emit` calls the listeners in the same order, with the same `this` and
// arguments, as EventEmitter's own; each starts at once in its green thread,
// so a listener that never blocks has finished, and what it throws has
// propagated out of `emit`, exactly as before. One that blocks lets `emit`
// (and Node's event loop) go on with the next listener.
import { builtinLoaded } from '../../builtin-loads.js';
import { runGreen } from './runtime.js';

/** Listeners always called plainly: Node's own, and greenpatch's internal ones (the recvfrom queue, DatagramServer's dispatcher). */
const plain = new WeakSet<Function>();

/** Marks `listener` to be called plainly, never in a green thread of its own. */
export function markPlain(listener: Function): void {
  plain.add(listener);
}

// Node's internal listeners (HTTP's connection handler, TLS's handshake
// starter) only set things up and never block: calling them plainly spares a
// green thread per connection. Captured from throwaway servers, which open no
// handle, of the builtins the program has loaded (loading them here would
// cost a net-only program http, https, tls and crypto): checked again
// whenever an emitter of a class not seen before emits, since a server of a
// builtin loaded later is of a class not seen before.
const throwaways: ReadonlyArray<readonly [id: string, make: () => import('node:events').EventEmitter]> = [
  ['http', () => new (require('node:http') as typeof import('node:http')).Server()],
  ['https', () => new (require('node:https') as typeof import('node:https')).Server()],
  ['tls', () => new (require('node:tls') as typeof import('node:tls')).Server()],
];
const captured = new Set<string>();
const seenClasses = new WeakSet<object>();

function captureNodeListeners(emitter: object): void {
  const ctor = (emitter as { constructor?: unknown }).constructor;
  if (captured.size === throwaways.length || (typeof ctor === 'function' && seenClasses.has(ctor))) return;
  if (typeof ctor === 'function') seenClasses.add(ctor);
  for (const [id, make] of throwaways) {
    if (captured.has(id) || !builtinLoaded(id)) continue;
    captured.add(id);
    const server = make();
    for (const type of ['connection', 'secureConnection', 'request']) {
      for (const listener of server.listeners(type)) plain.add(listener);
    }
  }
}

function isPlain(listener: Function): boolean {
  if (plain.has(listener)) return true;
  const inner = (listener as { listener?: unknown }).listener;
  return typeof inner === 'function' && plain.has(inner);
}

export type Emit = (this: any, type: any, ...args: any[]) => boolean;

/**
 * An `emit` that runs the listeners of `types` in green threads and hands
 * every other event to `fallback(emitter)` (the emit it replaces). With
 * `serves` false (UDP sockets' 'message'), a listener is not a server's: one
 * that fails after it blocked is reported and closes nothing.
 */
export function greenEmit(types: ReadonlySet<string | symbol>, fallback: (emitter: any) => Emit, serves = true): Emit {
  // `arguments` rather than rest parameters: every other event of the
  // server goes through here too, and is passed on without a copy.
  return function emit(this: any, type: string | symbol): boolean {
    if (!types.has(type)) return Reflect.apply(fallback(this), this, arguments);
    // rawListeners is a copy (listeners added or removed meanwhile take
    // effect from the next emit, as in EventEmitter) and keeps `once`
    // wrappers, which remove themselves when called.
    const listeners = this.rawListeners(type) as Function[];
    if (listeners.length === 0) return Reflect.apply(fallback(this), this, arguments);
    if (serves) captureNodeListeners(this);
    const args = new Array<unknown>(arguments.length - 1);
    for (let i = 1; i < arguments.length; i++) args[i - 1] = arguments[i];
    for (const listener of listeners) {
      if (isPlain(listener)) Reflect.apply(listener, this, args);
      else runGreen(listener, this, args, serves ? type : undefined);
    }
    return true;
  } as Emit;
}
