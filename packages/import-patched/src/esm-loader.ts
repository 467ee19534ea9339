// ESM through the module customization hooks in hooks.ts: a graph's entry is
// imported under a URL tagged with the graph's id; the hooks carry the tag to
// everything it imports.
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCommonJS } from './cjs-loader';
import type { Graph } from './graph';
import { graphById } from './graph';
import { greenModuleNames, loadGreenModule } from './green-modules';
import { GRAPH_PARAM, MODULES_PARAM, RUNTIME_KEY } from './protocol';
import type { HookData, Runtime } from './protocol';
import { codedError } from './errors';

let registered = false;

function ensureHooks(): void {
  if (registered) return;
  const runtime: Runtime = {
    green: (name) => loadGreenModule(name),
    commonjs: (filename, graphId) => {
      const graph = graphById(graphId);
      if (graph === undefined) {
        throw codedError('ERR_GREENPATCH_GRAPH_GONE', `The patched graph that imported ${filename} was discarded`);
      }
      return loadCommonJS(filename, graph);
    },
  };
  Object.defineProperty(globalThis, Symbol.for(RUNTIME_KEY), { value: runtime });
  const exportNames: HookData['exportNames'] = {};
  for (const name of greenModuleNames()) exportNames[name] = Object.keys(loadGreenModule(name));
  const data: HookData = { exportNames };
  // In-thread synchronous hooks where Node has them (22.15+; module.register
  // is deprecated from Node 26 on), else the loader-thread ones.
  const { registerHooks } = nodeModule as unknown as { registerHooks?: (hooks: object) => unknown };
  if (typeof registerHooks === 'function') {
    // Loaded only here: on Node 20 the hooks run on the loader thread instead.
    const hooks = require('./hooks') as typeof import('./hooks');
    hooks.initialize(data);
    registerHooks({ resolve: hooks.resolve, load: hooks.load });
  } else {
    nodeModule.register(pathToFileURL(join(__dirname, 'hooks.js')).href, { data });
  }
  registered = true;
}

/** Imports the ESM file `filename` into `graph`; resolves to its namespace. */
export function importModule(filename: string, graph: Graph): Promise<object> {
  ensureHooks();
  const url = pathToFileURL(filename);
  url.searchParams.set(GRAPH_PARAM, String(graph.id));
  url.searchParams.set(MODULES_PARAM, [...graph.modules].join(','));
  return import(url.href) as Promise<object>;
}
