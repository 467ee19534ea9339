// The `emit` of servers whose listeners run each in a green thread of its
// own, written once for the green Server classes (net, http, https) and for
// the `emit` the patches put on Node's server prototypes.
import { greenEmit, type Emit } from './listeners.js';

/**
 * The `emit` a patch puts on a server prototype in place of `original` (the
 * value it had there, own or inherited): listeners of `types` run each in a
 * green thread; every other event goes to `original`. When `original` is
 * the one inherited from `parent` (nothing on the prototype itself), the
 * parent's current `emit` is looked up at each call instead, so that
 * patching or reverting the parent later (`net` under `http`) takes effect.
 * An `emit` someone put on the prototype itself (an APM's wrapper) is kept
 * and called.
 */
export function patchedServerEmit(types: ReadonlySet<string | symbol>, original: Emit, parent: { emit: Emit }): Emit {
  if (original === parent.emit) return greenEmit(types, () => parent.emit);
  return greenEmit(types, () => original);
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
