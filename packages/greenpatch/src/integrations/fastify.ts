// fastify 4 and 5: route handlers, the request lifecycle hooks, and the
// error handler run in a green thread of their own when
// fastify calls them outside one (after a body was parsed, from a promise
// reaction, and always under `inject()`). The package's export is the
// factory itself, which cannot be patched in place, so three of its files
// are: the router (`lib/route.js`), which wraps each route's handler and
// hooks, and those of `setNotFoundHandler()`; `lib/hooks.js`, whose `add`
// is every `addHook()`; and `lib/error-handler.js`, which builds
// `setErrorHandler()`'s handlers.
//
// What fastify sees is what a plain call would give whenever the function
// does not block: the same return value, the same synchronous throw. When it
// blocks, fastify gets a promise, which it awaits as for an async handler:
// it rejects with what the function throws; for a handler, it is fulfilled
// with the value returned, or never settles when that is `undefined` (a
// synchronous handler returning nothing has sent, or will send, the reply
// itself); for a hook, it settles only as a promise the hook returns does
// (callback hooks call `done()` themselves). Async functions are left as
// they are: they await rather than block, and fastify checks their arity.
import { inGreenThread } from '../hub.js';
import { startGreenCall } from '../greenify.js';

const lifecycleHooks: ReadonlySet<string> = new Set([
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'preSerialization',
  'onSend',
  'onResponse',
  'onError',
  'onTimeout',
  'onRequestAbort',
]);

const wrappers = new WeakSet<Function>();

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function isAsync(fn: Function): boolean {
  return fn.constructor?.name === 'AsyncFunction';
}

/** `fn` wrapped as described above; `handler` chooses the handler's rule for a returned value. */
function green(fn: unknown, handler: boolean): unknown {
  if (typeof fn !== 'function' || wrappers.has(fn) || isAsync(fn)) return fn;
  const wrapper = function (this: unknown): unknown {
    if (inGreenThread()) return Reflect.apply(fn, this, arguments);
    const call = startGreenCall(fn, this, arguments);
    if (call.finished) {
      if (call.failed) throw call.error;
      return call.value;
    }
    return new Promise((resolve, reject) => {
      call.whenSettled((c) => {
        if (c.failed) reject(c.error);
        else if (handler ? c.value !== undefined : isPromiseLike(c.value)) resolve(c.value);
      });
    });
  };
  Object.defineProperty(wrapper, 'length', { value: fn.length });
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  wrappers.add(wrapper);
  return wrapper;
}

function greenHooks(value: unknown): unknown {
  return Array.isArray(value) ? value.map((fn) => green(fn, false)) : green(value, false);
}

function greenRouteOptions(options: unknown): unknown {
  if (typeof options === 'function') return green(options, true);
  if (typeof options !== 'object' || options === null) return options;
  const copy: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  if (copy.handler !== undefined) copy.handler = green(copy.handler, true);
  for (const name of lifecycleHooks) {
    if (copy[name] !== undefined) copy[name] = greenHooks(copy[name]);
  }
  return copy;
}

/**
 * `buildRouting` of `fastify/lib/route.js`, given the one it replaces: the
 * router's `route` (`app.route()`) and `prepareRoute` (`app.get()`,
 * `app.post()`, ...) wrap the handler and the route's hooks.
 */
export function greenBuildRouting(original: Function): Function {
  return function buildRouting(this: unknown): unknown {
    const routing = Reflect.apply(original, this, arguments);
    const { route, prepareRoute, setup } = routing;
    routing.setup = function (this: unknown, options: unknown, fastifyArgs: { fourOhFour?: Record<string, unknown> }): unknown {
      greenNotFound(fastifyArgs?.fourOhFour);
      return Reflect.apply(setup, this, arguments);
    };
    routing.route = function (this: unknown, spec: { options?: unknown }): unknown {
      return Reflect.apply(route, this, [{ ...spec, options: greenRouteOptions(spec.options) }]);
    };
    routing.prepareRoute = function (this: unknown, spec: { options?: unknown; handler?: unknown }): unknown {
      return Reflect.apply(prepareRoute, this, [
        { ...spec, options: greenRouteOptions(spec.options), handler: green(spec.handler, true) },
      ]);
    };
    return routing;
  };
}

/**
 * The 404 builder fastify hands to the router's `setup()`: its
 * `setNotFoundHandler` (what `app.setNotFoundHandler()` calls) wraps the
 * handler and the hooks given in its options, as for a route.
 */
function greenNotFound(fourOhFour: Record<string, unknown> | undefined): void {
  const original = fourOhFour?.setNotFoundHandler;
  if (typeof original !== 'function') return;
  (fourOhFour as Record<string, unknown>).setNotFoundHandler = function (this: unknown, opts: unknown, handler: unknown): unknown {
    const args = Array.prototype.slice.call(arguments);
    args[0] = greenRouteOptions(opts);
    args[1] = green(handler, true);
    return Reflect.apply(original, this, args);
  };
}

/** `Hooks.prototype.add` of `fastify/lib/hooks.js` (every `addHook()`), given the one it replaces. */
export function greenHooksAdd(original: Function): Function {
  return function add(this: unknown, name: string, fn: unknown): unknown {
    return Reflect.apply(original, this, [name, lifecycleHooks.has(name) ? green(fn, false) : fn]);
  };
}

/** `buildErrorHandler` of `fastify/lib/error-handler.js` (`setErrorHandler()`), given the one it replaces. */
export function greenBuildErrorHandler(original: Function): Function {
  return function buildErrorHandler(this: unknown): unknown {
    const args = Array.prototype.slice.call(arguments);
    if (args.length >= 2) args[1] = green(args[1], true);
    return Reflect.apply(original, this, args);
  };
}
