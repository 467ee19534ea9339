// Functions that greenpatch puts on Node's objects (prototypes, a patched
// builtin's exports) when a patch is applied, standing for implementations
// that load only when first called. On Node 20 an ES entry's imports of
// builtins cannot be seen, so the `net`, `http`, ... patches are applied
// before the entry runs, to every program that might use them: what they
// install then must cost next to nothing, and the modules that do the work
// (the socket waiters, the HTTP response reader, the cooperative spawn, ...)
// load only for a program that calls them. Each stand-in is the public function for good
// (the patched builtin and greenpatch/green/* hand out the same one), so
// nothing observable changes at the first call but the loading itself.

/**
 * A function named `name`, of length `length` (those of the implementation,
 * which must not be loaded to read them), that calls `load()`'s result with
 * its `this` and arguments and returns or throws what that does. `load` runs
 * at the first call only.
 */
export function deferredFunction<F extends (...args: any[]) => any>(name: string, length: number, load: () => F): F {
  let implementation: F | undefined;
  // A plain function, as the implementations are (a prototype, callable with new like them).
  const stand = function (this: unknown) {
    // `arguments` rather than rest parameters: the implementations count them.
    return Reflect.apply((implementation ??= load()), this, arguments);
  };
  Object.defineProperty(stand, 'name', { value: name, configurable: true });
  Object.defineProperty(stand, 'length', { value: length, configurable: true });
  return stand as unknown as F;
}

/**
 * The value `load` returns, computed at the first call of the function
 * returned and kept: `const socket = lazily(() => require('./socket.js'))`.
 */
export function lazily<T>(load: () => T): () => T {
  let value: T | undefined;
  let loaded = false;
  return () => {
    if (!loaded) {
      value = load();
      loaded = true;
    }
    return value as T;
  };
}
