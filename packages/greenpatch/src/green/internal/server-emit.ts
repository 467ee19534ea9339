// The `emit` of servers whose listeners run each in a green thread of its
// own, written once for the green Server classes (net, http, https) and for
// the `emit` the patches put on Node's server prototypes.
import { greenEmit, type Emit } from './listeners.js';
import { runGreen } from './runtime.js';

/**
 * The `emit` a patch puts on a server prototype in place of `original` (the
 * value it had there, own or inherited), so that the listeners of `types`
 * run in green threads:
 *
 * - When `original` is the one inherited from `parent` (nothing on the
 *   prototype itself), each listener runs in a green thread of its own and
 *   other events go to the parent's current `emit`, looked up at each call,
 *   so that patching or reverting the parent later (`net` under `http`)
 *   takes effect.
 * - When `original` was put on the prototype itself (an APM's wrapper), it
 *   is called for every event, as it expects: for an event of `types` the
 *   whole of it runs in one green thread, where it calls the listeners.
 */
export function patchedServerEmit(types: ReadonlySet<string | symbol>, original: Emit, parent: { emit: Emit }): Emit {
  if (original === parent.emit) return greenEmit(types, () => parent.emit);
  return function emit(this: any, type: string | symbol): boolean {
    if (!types.has(type) || this.listenerCount(type) === 0) return Reflect.apply(original, this, arguments);
    // The wrapper calls the listeners itself (and captures their rejections, as EventEmitter's emit does).
    runGreen(original, this, Array.from(arguments), type);
    return true;
  } as Emit;
}

/** Gives the green `Server` class an `emit` running the listeners of `types` in green threads, over `base`'s own. */
export function greenServerClass(Server: { prototype: object }, types: ReadonlySet<string | symbol>, base: { prototype: { emit: Emit } }): void {
  Object.defineProperty(Server.prototype, 'emit', {
    value: greenEmit(types, () => base.prototype.emit),
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
