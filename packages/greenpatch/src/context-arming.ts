// Whether a blocked green thread must resume from a promise reaction armed
// where it blocked, so that it runs on in its own async context.
//
// Node 24+ keeps AsyncLocalStorage in V8's continuation-preserved embedder
// data, which the engine carries with each fiber: nothing to arm. Node 20
// and 22 keep it (and every async_hooks execution id) in async_hooks state,
// which a fiber switch does not carry; but that state only moves with
// promise reactions while some async hook is enabled (AsyncLocalStorage
// enables one the first time it is used). Until then a reaction carries no
// context, and arming one per wait would only cost a promise and its
// closures per blocking call, which with thousands of parked threads are
// all alive, and promoted, at every scavenge.
import asyncHooks = require('node:async_hooks');

/** Where AsyncLocalStorage lives in async_hooks state (the class then has `_enable`). */
const contextInAsyncHooks = '_enable' in asyncHooks.AsyncLocalStorage.prototype;

let hooksSeen = false;

if (contextInAsyncHooks) {
  // A hook enabled before this module loaded: while one is, each new promise
  // carries Node's async-id symbols.
  hooksSeen = Object.getOwnPropertySymbols(Promise.resolve()).length > 0;
  // One enabled later goes through AsyncHook.prototype.enable, which
  // AsyncLocalStorage's own hook shares. Never unset: a hook disabled
  // again may leave stores on resources that are still around.
  const proto = Object.getPrototypeOf(asyncHooks.createHook({})) as { enable: (...args: unknown[]) => unknown };
  const original = proto.enable;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'enable');
  if (typeof original !== 'function' || descriptor === undefined || !('value' in descriptor) || !descriptor.configurable) {
    // Not the AsyncHook this was written against: arm always, as is safe.
    hooksSeen = true;
  } else {
    Object.defineProperty(proto, 'enable', {
      ...descriptor,
      value: {
        enable(this: unknown, ...args: unknown[]): unknown {
          hooksSeen = true;
          return Reflect.apply(original, this, args);
        },
      }.enable,
    });
  }
}

/**
 * @internal True when a thread that blocks must arm its resumption where it
 * blocks (see hub.ts, armResume): on Node 20/22 once any async hook has
 * been enabled in this process.
 */
export function contextNeedsArming(): boolean {
  return hooksSeen;
}
