// A patched module graph: one importPatched() call's private instances of
// everything the target loads, and the green builtins they see.
import { codedError } from './errors';
import { builtinName } from './builtin-name';
import { greenModuleNames, loadGreenModule } from './green-modules';

/** One graph of privately loaded modules. */
export interface Graph {
  /** Distinguishes this graph's ESM URLs from every other graph's. */
  readonly id: number;
  /** Builtins replaced by their green versions. */
  readonly modules: ReadonlySet<string>;
  /** CommonJS modules by filename. */
  readonly cjs: Map<string, unknown>;
}

let nextId = 1;
const shared = new Map<string, Graph>();
const byId = new Map<number, Graph>();

/** Validates `modules` and returns the set of builtins to make green. */
export function chooseModules(modules: readonly string[] | undefined): Set<string> {
  const names = greenModuleNames();
  if (modules === undefined) return new Set(names);
  if (!Array.isArray(modules)) {
    throw codedError('ERR_INVALID_ARG_TYPE', 'options.modules must be an array of module names', TypeError);
  }
  const chosen = new Set<string>();
  for (const m of modules) {
    const name = typeof m === 'string' ? builtinName(m) : undefined;
    if (name === undefined || !names.includes(name)) {
      throw codedError(
        'ERR_INVALID_ARG_VALUE',
        `options.modules: ${JSON.stringify(m)} has no green version (available: ${names.join(', ')})`,
      );
    }
    chosen.add(name);
  }
  return chosen;
}

/** A fresh graph, or the shared one for this set when `cache` is asked for. */
export function graphFor(modules: Set<string>, cache: boolean): Graph {
  const key = [...modules].sort().join(',');
  if (cache) {
    const existing = shared.get(key);
    if (existing !== undefined) return existing;
  }
  const graph: Graph = { id: nextId++, modules, cjs: new Map() };
  byId.set(graph.id, graph);
  if (cache) shared.set(key, graph);
  return graph;
}

/**
 * Forgets a graph after a failed load, so that nothing half-loaded is
 * reused: the next call with the same options starts from nothing.
 */
export function discardGraph(graph: Graph): void {
  byId.delete(graph.id);
  for (const [key, g] of shared) if (g === graph) shared.delete(key);
}

/**
 * Lets an unshared graph go once its CommonJS load is done: only ESM
 * modules, which may import CommonJS later, look graphs up by id.
 */
export function releaseGraph(graph: Graph): void {
  if (![...shared.values()].includes(graph)) byId.delete(graph.id);
}

export function graphById(id: number): Graph | undefined {
  return byId.get(id);
}

/** The module `graph` gives for builtin `name`: green if chosen, else Node's own. */
export function builtinFor(graph: Graph, name: string): unknown {
  return graph.modules.has(name) ? loadGreenModule(name) : require(`node:${name}`);
}
