// koa 2 and 3: middleware added with `app.use()` (the `Application`
// class, `koa/lib/application.js`) is greenified: called outside a green
// thread (after an `await next()` upstream, or an awaited body parser) it
// runs in one of its own and koa awaits the promise of its outcome; inside
// one it is called as it is. Async and generator functions are passed on
// unchanged: they await instead of blocking, and koa treats them specially.
import { greenify } from '../greenify.js';

function isPlainFunction(fn: unknown): fn is Function {
  if (typeof fn !== 'function') return false;
  const kind = fn.constructor?.name;
  return kind !== 'AsyncFunction' && kind !== 'GeneratorFunction' && kind !== 'AsyncGeneratorFunction';
}

/** The `use` of koa's `Application.prototype`, given the one it replaces. */
export function greenKoaUse(original: Function): Function {
  return function use(this: unknown, middleware: unknown): unknown {
    return Reflect.apply(original, this, [isPlainFunction(middleware) ? greenify(middleware as (...a: unknown[]) => unknown) : middleware]);
  };
}
