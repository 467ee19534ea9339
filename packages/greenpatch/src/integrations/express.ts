// express 4 and 5: every middleware, handler and error handler is called by
// the router's Layer (express 4: `express/lib/router/layer.js`, methods
// `handle_request` and `handle_error`; express 5: the `router` package's
// `lib/layer.js`, `handleRequest` and `handleError`). A Layer method called
// outside a green thread (by `next()` from a body parser's stream callback,
// a timer, a promise reaction) runs in a green thread of its own; inside
// one it is called as it is. The method itself runs in the thread, so the
// router's own try/catch still sees what the handler throws, after blocking
// too, and passes it to `next(err)` as for a synchronous throw; `next()`,
// error middleware and the order of everything are express's own.
import { inGreenThread } from '../hub.js';
import { runGreen } from '../green/internal/runtime.js';
import { startGreenCall } from '../greenify.js';

/** The Layer methods wrapped, by express major: file inside the package, method names. */
export const expressLayerMethods = {
  4: { module: 'express', file: 'lib/router/layer.js', methods: ['handle_request', 'handle_error'] },
  5: { module: 'router', file: 'lib/layer.js', methods: ['handleRequest', 'handleError'] },
} as const;

/** The replacement of a Layer method `original` (see above). */
export function greenLayerMethod(original: Function): Function {
  return function greenLayer(this: unknown): unknown {
    if (inGreenThread()) return Reflect.apply(original, this, arguments);
    // The Layer methods return nothing that the router reads.
    runGreen(original, this, Array.prototype.slice.call(arguments));
    return undefined;
  };
}

const paramWrappers = new WeakSet<Function>();

/**
 * `Router.param` (express 4's `lib/router/index.js`, express 5's `router`),
 * given the one it replaces: a param callback (`app.param('id', fn)`) is
 * called by the router from `next()`, so, like a middleware, often outside a
 * green thread. There its wrapper runs it in a thread of its own; the
 * router's private caller cannot be wrapped, so the wrapper does what that
 * caller does with a throw (`next(err)`) for one that comes after blocking,
 * and with a returned promise's rejection when `nextOnRejection` (router 2
 * only; express 4 ignores what a param callback returns).
 */
export function greenParamMethod(original: Function, nextOnRejection: boolean): Function {
  return function param(this: unknown, name: unknown, fn: unknown): unknown {
    const args = Array.prototype.slice.call(arguments);
    if (typeof fn === 'function' && !paramWrappers.has(fn) && fn.constructor?.name !== 'AsyncFunction') {
      args[1] = greenParamCallback(fn, nextOnRejection);
    }
    return Reflect.apply(original, this, args);
  };
}

function greenParamCallback(fn: Function, nextOnRejection: boolean): Function {
  const wrapper = function (this: unknown, _req: unknown, _res: unknown, next: unknown): unknown {
    if (inGreenThread()) return Reflect.apply(fn, this, arguments);
    const call = startGreenCall(fn, this, arguments);
    if (call.finished) {
      // Neither blocked nor waited: exactly a plain call.
      if (call.failed) throw call.error;
      return call.value;
    }
    call.whenSettled((c) => {
      if (typeof next !== 'function') return;
      if (c.failed) next(c.error);
      else if (nextOnRejection && isThenable(c.value)) c.value.then(undefined, (error) => next(error));
    });
    return undefined;
  };
  Object.defineProperty(wrapper, 'length', { value: fn.length });
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  paramWrappers.add(wrapper);
  return wrapper;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
