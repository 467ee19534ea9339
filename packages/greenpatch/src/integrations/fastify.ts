// fastify 4 and 5: route handlers, the request lifecycle hooks, and the
// error and not-found handlers run in a green thread of their own when
// fastify calls them outside one (after a body was parsed, from a promise
// reaction, and always under `inject()`). The instance made by the `fastify`
// factory (the package's export) gets an 'onRoute' hook that wraps each
// route's handler and hooks, and an `addHook`, `setErrorHandler` and
// `setNotFoundHandler` that wrap what they are given; child instances
// inherit these.
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

function onRoute(route: Record<string, unknown>): void {
  route.handler = green(route.handler, true);
  for (const name of lifecycleHooks) {
    if (route[name] !== undefined) route[name] = greenHooks(route[name]);
  }
}

/** Makes the fastify instance `app` (a root instance, fresh from the factory) green as described above. */
export function greenFastifyInstance(app: any): void {
  const { addHook, setErrorHandler, setNotFoundHandler } = app;
  app.addHook = function (this: unknown, name: string, fn: unknown, ...rest: unknown[]): unknown {
    return Reflect.apply(addHook, this, [name, lifecycleHooks.has(name) ? green(fn, false) : fn, ...rest]);
  };
  app.setErrorHandler = function (this: unknown, fn: unknown): unknown {
    return Reflect.apply(setErrorHandler, this, [green(fn, true)]);
  };
  app.setNotFoundHandler = function (this: unknown, ...args: unknown[]): unknown {
    // (handler) or (options, handler); the options may carry hooks.
    const wrapped = args.map((arg) => {
      if (typeof arg === 'function') return green(arg, true);
      if (typeof arg === 'object' && arg !== null) {
        const options = { ...(arg as Record<string, unknown>) };
        for (const name of lifecycleHooks) if (options[name] !== undefined) options[name] = greenHooks(options[name]);
        return options;
      }
      return arg;
    });
    return Reflect.apply(setNotFoundHandler, this, wrapped);
  };
  addHook.call(app, 'onRoute', onRoute);
}

/** The `fastify` factory (the package's export), given the one it replaces. */
export function greenFastifyFactory(original: (...args: any[]) => any): (...args: any[]) => any {
  const factory = function fastify(this: unknown, ...args: unknown[]): unknown {
    const app = Reflect.apply(original, this, args);
    greenFastifyInstance(app);
    return app;
  };
  // The package exports the factory with its other exports as properties
  // (`fastify.fastify`, `fastify.default`, `errorCodes`, ...).
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'length' || key === 'name' || key === 'prototype') continue;
    const descriptor = Object.getOwnPropertyDescriptor(original, key)!;
    if ('value' in descriptor && descriptor.value === original) descriptor.value = factory;
    Object.defineProperty(factory, key, descriptor);
  }
  return factory;
}
