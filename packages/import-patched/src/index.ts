// importPatched(): load one module so that it, and everything it loads, sees
// greenpatch's green builtins, while the rest of the process is untouched.
import { blockingOnHubError, inGreenThread, wait } from 'greenpatch';
import { loadCommonJS } from './cjs-loader';
import { importModule } from './esm-loader';
import { chooseModules, discardGraph, graphFor, releaseGraph } from './graph';
import type { Graph } from './graph';
import { locate } from './locate';

export { greenModuleNames } from './green-modules';

/** Options of {@link importPatched} and {@link importPatchedAsync}. */
export interface ImportPatchedOptions {
  /**
   * Builtins that the module and its dependencies get in green form, by name
   * (`'net'`, `'node:dns'`, ...). Default: every builtin greenpatch has a
   * green version of ({@link greenModuleNames}).
   */
  modules?: readonly string[];
  /**
   * Where `specifier` resolves from: a file path or file: URL. Default: the
   * file that called importPatched().
   */
  parent?: string | URL;
  /**
   * Reuse the instances loaded by an earlier call with `cache: true` and the
   * same set of modules, instead of loading fresh ones. Default false: every
   * call loads its own instances.
   */
  cache?: boolean;
}

/**
 * Loads `specifier` (resolved as `require.resolve()` would from the caller's
 * file) as a fresh instance in which the chosen builtins, for the module and
 * for everything it loads in turn, are greenpatch's green modules. Returns
 * its `module.exports` (CommonJS) or its namespace (ESM). Afterwards
 * `require()` and `import()` everywhere else are as before.
 *
 * An ESM target is imported asynchronously, so for one this call blocks the
 * current green thread and must be made from one (else it throws
 * ERR_GREENPATCH_BLOCKING_ON_HUB); {@link importPatchedAsync} works anywhere.
 *
 * Throws Node's own MODULE_NOT_FOUND for a specifier that does not resolve,
 * and the module's own error when it throws while loading; nothing of a
 * failed load is kept.
 */
export function importPatched<T = any>(specifier: string, options: ImportPatchedOptions = {}): T {
  const { filename, format } = locate(specifier, options.parent);
  // Refuse before anything starts: a refused wait() would leave an import running.
  if (format === 'module' && !inGreenThread()) throw blockingOnHubError('importPatched() of an ES module');
  const graph = graphFor(chooseModules(options.modules), options.cache === true);
  if (format === 'commonjs') return loadCommonJSGraph(filename, graph) as T;
  return settle(graph, () => wait(importModule(filename, graph))) as T;
}

/**
 * Like {@link importPatched}, but returns a promise, so that it may be called
 * anywhere, including outside green threads.
 */
export async function importPatchedAsync<T = any>(specifier: string, options: ImportPatchedOptions = {}): Promise<T> {
  const { filename, format } = locate(specifier, options.parent);
  const graph = graphFor(chooseModules(options.modules), options.cache === true);
  if (format === 'commonjs') return loadCommonJSGraph(filename, graph) as T;
  try {
    return (await importModule(filename, graph)) as T;
  } catch (error) {
    discardGraph(graph);
    throw error;
  }
}

function loadCommonJSGraph(filename: string, graph: Graph): unknown {
  const exports = settle(graph, () => loadCommonJS(filename, graph));
  releaseGraph(graph);
  return exports;
}

function settle(graph: Graph, load: () => unknown): unknown {
  try {
    return load();
  } catch (error) {
    discardGraph(graph);
    throw error;
  }
}
