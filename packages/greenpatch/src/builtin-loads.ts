// Sees user code load a builtin, so that the patcher can patch it then rather
// than loading every builtin it patches at start-up. The ways in:
//
// - `require('net')` / `require('node:net')`: a wrapper of `Module._load`,
//   which every CommonJS require (and createRequire's) goes through.
// - `process.getBuiltinModule('net')`: a wrapper of that function (Node
//   20.16+, 22.3+), which loads builtins without the module loader.
// - `import 'node:net'`: a resolve hook of `module.registerHooks` where Node
//   has it (22.15+, 23.5+); it sees CommonJS requires too. Node 20 has no
//   in-thread hooks, and ES modules' imports cannot be seen there: see
//   `importsUnseen` in register.ts.
//
// Each wrapper calls what it replaced with the same `this` and arguments and
// returns what it returned; the only addition is the notice, given once the
// builtin can be loaded (the patcher patches it in place, before the caller
// sees it). Loads by greenpatch's and @greenpatch/fibers' own modules are not
// the program's and give none (green/net.js loads http; patching http then
// would load green/http.js in the middle of green/net.js's own loading).
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fiber = require('@greenpatch/fibers');
import { NodeModule as Module, noteLoad, registerLoadWrapper } from './load-wrappers.js';

let ownDirs: string[] | undefined;

/**
 * The directory of the @greenpatch/fibers module this process loaded: its
 * entry in Node's module cache (by the file name Node gave it), which
 * spares resolving the name again (the exports-map resolver's first use
 * costs about 1 ms of start-up); by name if it is not found there.
 */
function fibersDir(): string {
  for (const loaded of Object.values(require.cache)) {
    if (loaded === undefined || loaded.exports !== Fiber || typeof loaded.filename !== 'string') continue;
    // Not greenpatch's own fibers-package.js, whose exports are the same object.
    if (!loaded.filename.startsWith(__dirname + sep)) return dirname(loaded.filename);
  }
  return dirname(require.resolve('@greenpatch/fibers'));
}

/** Whether `filename` is one of greenpatch's or @greenpatch/fibers' own modules. */
function ownModule(filename: unknown): boolean {
  if (typeof filename !== 'string') return false;
  ownDirs ??= [__dirname, fibersDir()].map((dir) => dir + sep);
  return ownDirs.some((dir) => filename.startsWith(dir));
}

/** Strips `node:`; the builtin's id as the patch table spells it. */
function builtinId(request: unknown): string | undefined {
  if (typeof request !== 'string') return undefined;
  return request.startsWith('node:') ? request.slice(5) : request;
}

interface Unhookable {
  unhook(): void;
}

/**
 * Calls `loaded(id)` whenever user code loads a builtin whose id is in
 * `watched` (read at each load, so the caller may change it). Returns the
 * handle that removes the watchers.
 */
export function watchBuiltinLoads(watched: ReadonlySet<string>, loaded: (id: string) => void): Unhookable {
  const notify = (request: unknown): void => {
    const id = builtinId(request);
    if (id !== undefined && watched.has(id)) loaded(id);
  };

  const M = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
  const originalLoad = M._load;
  const load = function (this: unknown, request: string, parent: { filename?: unknown } | null | undefined, isMain?: unknown): unknown {
    noteLoad(isMain, load);
    const exports = Reflect.apply(originalLoad, this, arguments);
    if (!ownModule(parent?.filename)) notify(request);
    return exports;
  };
  M._load = load;
  registerLoadWrapper(load, originalLoad);

  const p = process as { getBuiltinModule?: (id: string) => unknown };
  const originalGet = p.getBuiltinModule;
  let get: ((id: string) => unknown) | undefined;
  if (typeof originalGet === 'function') {
    // Named and sized as Node's own.
    get = {
      getBuiltinModule(this: unknown, id: string): unknown {
        const exports = Reflect.apply(originalGet, this, arguments);
        if (exports !== undefined) notify(id);
        return exports;
      },
    }.getBuiltinModule;
    p.getBuiltinModule = get;
  }

  let hooks: { deregister?(): void } | undefined;
  const registerHooks = (Module as { registerHooks?: (hooks: object) => { deregister?(): void } }).registerHooks;
  if (typeof registerHooks === 'function') {
    hooks = registerHooks({
      resolve(specifier: string, context: { parentURL?: string }, next: (s: string, c?: unknown) => { url: string }) {
        const resolved = next(specifier, context);
        // Before the builtin loads: the patcher loads it, patches it, and the
        // importer's namespace is synchronized from the patched exports.
        if (typeof resolved?.url === 'string' && resolved.url.startsWith('node:') && !ownURL(context?.parentURL)) {
          notify(resolved.url);
        }
        return resolved;
      },
    });
  }

  return {
    unhook() {
      if (M._load === load) M._load = originalLoad;
      if (get !== undefined && p.getBuiltinModule === get) p.getBuiltinModule = originalGet;
      hooks?.deregister?.();
    },
  };
}

function ownURL(url: unknown): boolean {
  if (typeof url !== 'string' || !url.startsWith('file:')) return false;
  try {
    return ownModule(fileURLToPath(url));
  } catch {
    return false;
  }
}

/** Whether the builtin `id` has been loaded in this thread (by anyone, Node itself included). */
export function builtinLoaded(id: string): boolean {
  // Node's own record of what it loaded (undocumented, present on 20 to 26).
  const list = (process as { moduleLoadList?: readonly string[] }).moduleLoadList;
  return list === undefined || list.includes(`NativeModule ${id}`);
}
