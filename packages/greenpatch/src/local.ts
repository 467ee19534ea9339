// Green-thread-local storage.
import { currentTaskOrUndefined } from './hub.js';

const HUB_KEY = {};

/**
 * Returns an object whose properties are private to each green thread:
 * what one thread stores in it, another does not see (the hub has a set of
 * its own). A new thread starts with none. Values live as long as their
 * thread object.
 *
 * @example
 * ```js
 * const ctx = local();
 * spawn(() => { ctx.user = 'ann'; sleep(1); console.log(ctx.user); }); // ann
 * spawn(() => { ctx.user = 'bob'; sleep(1); console.log(ctx.user); }); // bob
 * ```
 */
export function local<T extends object = Record<PropertyKey, any>>(): T {
  const stores = new WeakMap<object, Record<PropertyKey, unknown>>();
  const storeFor = (): Record<PropertyKey, unknown> => {
    const key = currentTaskOrUndefined() ?? HUB_KEY;
    let store = stores.get(key);
    if (store === undefined) {
      store = {};
      stores.set(key, store);
    }
    return store;
  };
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(storeFor(), key),
    set: (_target, key, value) => Reflect.set(storeFor(), key, value),
    has: (_target, key) => Reflect.has(storeFor(), key),
    deleteProperty: (_target, key) => Reflect.deleteProperty(storeFor(), key),
    ownKeys: () => Reflect.ownKeys(storeFor()),
    getOwnPropertyDescriptor: (_target, key) => {
      const d = Reflect.getOwnPropertyDescriptor(storeFor(), key);
      if (d !== undefined) d.configurable = true;
      return d;
    },
    defineProperty: (_target, key, descriptor) =>
      Reflect.defineProperty(storeFor(), key, { ...descriptor, configurable: true }),
  });
}
