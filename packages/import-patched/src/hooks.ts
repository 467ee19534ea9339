// Module customization hooks for patched ESM graphs. The same functions serve
// module.registerHooks() (Node 22.15+: in-thread, synchronous `next*`) and
// module.register() (Node 20: on the loader thread, asynchronous `next*`);
// `then` below continues either way. A graph's modules carry its id in their URLs
// (GRAPH_PARAM), so that they are instances of their own, apart from the
// ordinary graph and from every other patched graph; their imports of
// chosen builtins resolve to small modules that re-export the green version.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinName } from './builtin-name';
import { GRAPH_PARAM, GREEN_SCHEME, MODULES_PARAM, RUNTIME_KEY } from './protocol';
import type { HookData } from './protocol';

// A CommonJS package without types: required, not imported.
const lexer = require('cjs-module-lexer') as { parse(source: string): { exports: string[]; reexports: string[] } };

interface Tag {
  graph: string;
  modules: string[];
}

let exportNames: Record<string, string[]> = {};

export function initialize(data: HookData): void {
  exportNames = data.exportNames;
}

function tagOf(url: string | undefined): Tag | undefined {
  if (url === undefined || !url.startsWith('file:')) return undefined;
  const parsed = new URL(url);
  const graph = parsed.searchParams.get(GRAPH_PARAM);
  if (graph === null) return undefined;
  return { graph, modules: (parsed.searchParams.get(MODULES_PARAM) ?? '').split(',').filter(Boolean) };
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function reexportSource(expression: string, names: Iterable<string>): string {
  const lines = [`const m = ${expression};`, 'export default m;'];
  for (const name of new Set(names)) {
    if (name !== 'default' && IDENTIFIER.test(name)) lines.push(`export const ${name} = m[${JSON.stringify(name)}];`);
  }
  return lines.join('\n');
}

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type NextResolve = (specifier: string, context: unknown) => Resolved | Promise<Resolved>;

/** Continues with `value` now when it is there, else when its promise settles. */
function then<T, R>(value: T | Promise<T>, fn: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

export function resolve(
  specifier: string,
  context: { parentURL?: string },
  nextResolve: NextResolve,
): Resolved | Promise<Resolved> {
  const tag = tagOf(context.parentURL);
  if (tag === undefined) return nextResolve(specifier, context);
  const name = builtinName(specifier);
  if (name !== undefined && tag.modules.includes(name)) {
    return { url: `${GREEN_SCHEME}${name}?${GRAPH_PARAM}=${tag.graph}`, format: 'module', shortCircuit: true };
  }
  return then(nextResolve(specifier, context), (resolved) => {
    if (!resolved.url.startsWith('file:')) return resolved;
    const url = new URL(resolved.url);
    url.searchParams.set(GRAPH_PARAM, tag.graph);
    url.searchParams.set(MODULES_PARAM, tag.modules.join(','));
    return { ...resolved, url: url.href };
  });
}

type Loaded = { format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };
type NextLoad = (url: string, context: unknown) => Loaded | Promise<Loaded>;

export function load(url: string, context: unknown, nextLoad: NextLoad): Loaded | Promise<Loaded> {
  const runtime = `globalThis[Symbol.for(${JSON.stringify(RUNTIME_KEY)})]`;
  if (url.startsWith(GREEN_SCHEME)) {
    const name = url.slice(GREEN_SCHEME.length).split('?')[0]!;
    return {
      format: 'module',
      source: reexportSource(`${runtime}.green(${JSON.stringify(name)})`, exportNames[name] ?? []),
      shortCircuit: true,
    };
  }
  const tag = tagOf(url);
  return then(nextLoad(url, context), (loaded) => {
    if (tag === undefined || loaded.format !== 'commonjs') return loaded;
    // CommonJS inside a patched graph loads through the graph's private
    // CommonJS cache on the main thread; its named exports are found the way
    // Node finds them, by lexing the source.
    const plain = new URL(url);
    plain.search = '';
    const filename = fileURLToPath(plain);
    let names: string[] = [];
    try {
      names = lexer.parse(readFileSync(filename, 'utf8')).exports;
    } catch {
      // Unparsable for the lexer: default export only, as Node does.
    }
    return {
      format: 'module',
      source: reexportSource(`${runtime}.commonjs(${JSON.stringify(filename)}, ${Number(tag.graph)})`, names),
      shortCircuit: true,
    };
  });
}
