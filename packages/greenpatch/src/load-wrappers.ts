// greenpatch wraps Node's `Module._load` (to see builtins loaded, and npm
// packages that require-in-the-middle cannot see). While a stack trace is
// formatted V8 names each frame's method by looking the function up on its
// receiver, so with a wrapper in place Node's own loader frame loses the name
// `Module._load` that stock Node prints. Wrappers register here, and
// withNodesLoad() puts Node's own function back for the time of a read.
import { captureWithRoom } from './internal-frames.js';

type NodeModuleClass = typeof import('node:module');

/**
 * @internal Node's CommonJS `Module` class, the object `require('node:module')`
 * returns, taken from this module's own `module.constructor` where that is
 * it: loading `node:module` also loads lib/module.js and parts of Node's ES
 * module loader, which stock Node does not load at start-up. (A module
 * system that makes its own module objects gets `node:module` itself.)
 */
export const NodeModule: NodeModuleClass = (() => {
  // This file's module object: in the bundle (dist/runtime.js), `module` is
  // the bundler's stand-in and the cache holds the real one.
  const own = (require.cache[__filename] ?? module).constructor as Partial<NodeModuleClass> & { _load?: unknown };
  if (typeof own._load === 'function' && typeof own.createRequire === 'function' && typeof own.isBuiltin === 'function') {
    return own as NodeModuleClass;
  }
  return require('node:module') as NodeModuleClass;
})();
const Module = NodeModule;

type Loader = { _load: Function };

/** Each wrapper installed by greenpatch → the `_load` it wraps. */
const wrapped = new WeakMap<Function, Function>();

/** @internal Records that `load` was installed as `Module._load` over `original`. */
export function registerLoadWrapper(load: Function, original: Function): void {
  wrapped.set(load, original);
}

/**
 * @internal Calls `read` (which formats a stack trace) with the `_load`
 * beneath greenpatch's wrappers in place, then puts the wrappers back.
 */
export function withNodesLoad<T>(read: () => T): T {
  const M = Module as unknown as Loader;
  const outer = M._load;
  let inner = outer;
  while (wrapped.has(inner)) inner = wrapped.get(inner) as Function;
  if (inner === outer) return read();
  M._load = inner;
  try {
    return read();
  } finally {
    M._load = outer;
  }
}

/**
 * @internal The frames below the entry module's own load, captured by the
 * outermost wrapper when Node loads the main module (after `expectMainLoad()`).
 * The wrappers' frames sit between the entry's frames and Node's entry point
 * (`wrapModuleLoad`, `executeUserEntryPoint`...), and count against
 * `Error.stackTraceLimit` in an error the entry throws, so Node's last frames
 * may be cut off where stock Node has room for them: entry-stack.ts puts
 * them back from here.
 */
export const mainLoad: { expected: boolean; below: { stack?: unknown } | undefined } = { expected: false, below: undefined };

/** @internal The next load with `isMain` is the entry's: capture what is below it. */
export function expectMainLoad(): void {
  mainLoad.expected = true;
  mainLoad.below = undefined;
}

/** @internal Called first by each wrapper, with itself: captures once, in the outermost. */
export function noteLoad(isMain: unknown, wrapper: Function): void {
  if (isMain !== true || !mainLoad.expected) return;
  mainLoad.expected = false;
  const below: { stack?: unknown } = {};
  captureWithRoom(below, wrapper);
  mainLoad.below = below;
}
