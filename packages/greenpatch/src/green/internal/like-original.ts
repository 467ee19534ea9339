// Wrappers that look like the function they wrap, to code inspecting them.
// Apart from cooperative.ts, so that the patches' wrappers applied at
// start-up use it without loading the cooperative machinery.

/**
 * Gives `wrapper` the `name` and `length` of `original` and copies its own
 * extra properties (e.g. `realpathSync.native`, promisify symbols), so that
 * code inspecting the function sees what stock Node shows.
 */
export function likeOriginal<F extends Function>(wrapper: F, original: Function, name: string = original.name): F {
  Object.defineProperty(wrapper, 'name', { value: name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'name' || key === 'length' || key === 'prototype') continue;
    if (Object.prototype.hasOwnProperty.call(wrapper, key)) continue;
    Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  return wrapper;
}
