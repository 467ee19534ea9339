// CommonJS through a private module cache: each module loaded for a graph is
// a fresh Module whose require() resolves as usual but loads into the same
// graph, and gets green builtins for the chosen names.
import Module from 'node:module';
import { dirname } from 'node:path';
import type { Graph } from './graph';
import { builtinFor } from './graph';
import { builtinName } from './builtin-name';

// The parts of Node's Module that are not in its public typings.
interface InternalModule {
  exports: unknown;
  filename: string;
  paths: string[];
  loaded: boolean;
  require(request: string): unknown;
  load(filename: string): void;
}
interface ModuleStatics {
  new (id: string, parent?: unknown): InternalModule;
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _nodeModulePaths(dir: string): string[];
}
const NodeModule = Module as unknown as ModuleStatics;

/** Loads `filename` (resolved already) into `graph`; returns its exports. */
export function loadCommonJS(filename: string, graph: Graph, parent?: unknown): unknown {
  if (graph.cjs.has(filename)) return (graph.cjs.get(filename) as InternalModule).exports;
  // A native addon is one instance per process (a second dlopen yields the
  // same library); it does not see JavaScript builtins anyway.
  if (filename.endsWith('.node')) return Module.createRequire(filename)(filename);
  const mod = new NodeModule(filename, parent);
  mod.filename = filename;
  mod.paths = NodeModule._nodeModulePaths(dirname(filename));
  mod.require = function requireInGraph(this: InternalModule, request: string) {
    return requireFrom(this, request, graph);
  };
  graph.cjs.set(filename, mod);
  let loaded = false;
  try {
    mod.load(filename);
    loaded = true;
  } finally {
    if (!loaded) graph.cjs.delete(filename);
  }
  return mod.exports;
}

function requireFrom(mod: InternalModule, request: string, graph: Graph): unknown {
  if (typeof request !== 'string' || request === '') {
    // Node's own argument errors.
    return Module.prototype.require.call(mod as unknown as Module, request);
  }
  const name = builtinName(request);
  if (name !== undefined) return builtinFor(graph, name);
  const filename = NodeModule._resolveFilename(request, mod, false);
  const builtin = builtinName(filename);
  if (builtin !== undefined) return builtinFor(graph, builtin);
  return loadCommonJS(filename, graph, mod);
}
