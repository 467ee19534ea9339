// import-in-the-middle under `node --import greenpatch/register`, loaded
// only when a program needs it. The npm entries of the patch table reach
// CommonJS packages through the Module._load wrapper of patcher.ts, even when
// an ES module imports them (ws, koa, express...: their ES wrappers import
// CommonJS files). What that wrapper cannot see is a package's ES module build
// (synckit's), which import-in-the-middle patches: it wraps the modules
// imported by a specifier on its include list. Its loader costs ~14 ms to
// load, so it is installed at the first import of such a specifier that
// resolves to an ES module, and handed that resolution.
import Module = require('node:module');
import { fileURLToPath, pathToFileURL } from 'node:url';

import { moduleFormat } from './module-format.js';

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type ResolveContext = { conditions?: readonly string[]; parentURL?: string };
type NextResolve = (specifier: string, context?: ResolveContext) => Resolved;
type ResolveHook = (specifier: string, context: ResolveContext, next: NextResolve) => Resolved;
type RegisterHooks = (hooks: { resolve?: ResolveHook; load?: Function }) => unknown;

interface IITMHook {
  applyOptions(options: { include: string[] }): void;
  resolveSync: ResolveHook;
  loadSync: Function;
}

/**
 * Whether import-in-the-middle's synchronous hooks work on this Node:
 * `module.registerHooks` accepts the CommonJS `source: null` they return
 * from 22.22.3, 24.11.1 and 25.1.0 (nodejs/node#59929), as its
 * `supportsSyncHooks()` says (not loaded here: a require(esm) at start-up).
 */
export function syncHooksSupported(): boolean {
  const [major, minor, patch] = process.versions.node.split('.').map((part) => parseInt(part, 10));
  const first: Record<number, [number, number]> = { 22: [22, 3], 24: [11, 1], 25: [1, 0] };
  if (major >= 26) return true;
  const line = first[major];
  if (line === undefined) return false;
  return minor > line[0] || (minor === line[0] && patch >= line[1]);
}

/** Whether `resolved` is an ES module, as Node will load it. */
function isESModule(resolved: Resolved): boolean {
  if (resolved.format === 'module' || resolved.format === 'module-typescript') return true;
  // Node leaves the format of a `.js` file without a package "type" open at
  // resolution; its package decides (module-format.ts).
  if (resolved.format == null && typeof resolved.url === 'string' && resolved.url.startsWith('file:')) {
    return moduleFormat(fileURLToPath(resolved.url)) === 'module';
  }
  return false;
}

/**
 * Registers, through `module.registerHooks`, a resolve hook that installs
 * import-in-the-middle's own synchronous hooks (for the specifiers in
 * `include`) when an `import` of one of them first resolves to an ES module,
 * then calls `installed` (which arms the patcher's import hook) and lets
 * import-in-the-middle finish that resolution. Needs `syncHooksSupported()`.
 */
export function installOnFirstESModule(include: string[], installed: () => void): void {
  const registerHooks = (Module as { registerHooks?: RegisterHooks }).registerHooks!;
  const wanted = new Set(include);
  let hook: IITMHook | undefined;
  registerHooks({
    resolve(specifier, context, next) {
      // `require()` resolutions go through these hooks too; import-in-the-middle leaves them alone.
      if (hook !== undefined || !wanted.has(specifier) || context.conditions?.includes('require')) return next(specifier, context);
      const resolved = next(specifier, context);
      if (!isESModule(resolved)) return resolved;
      // What import-in-the-middle's register-hooks.mjs does, keeping the
      // hook, which runs ahead of this one from now on, to hand it this
      // resolution too. require(esm): Node has it wherever it has registerHooks.
      const iitmURL = pathToFileURL(require.resolve('import-in-the-middle/register-hooks.mjs')).href;
      const { createHook } = require('import-in-the-middle/create-hook.mjs') as { createHook(meta: { url: string }): IITMHook };
      hook = createHook({ url: iitmURL });
      hook.applyOptions({ include });
      registerHooks({ resolve: hook.resolveSync, load: hook.loadSync });
      installed();
      return hook.resolveSync(specifier, context, next);
    },
  });
}
