// Module customization hooks of `node --import greenpatch/register`: the
// entry module is served as a small stand-in that runs the real entry in the
// main green thread (see register.ts). Only the entry point is touched (the
// one module resolved with no parent); every other module loads as usual.
// Used in-thread through module.registerHooks where Node has it, else on
// Node's hooks thread through module.register.

const MARK = 'greenpatch-main';

interface State {
  /** file: URL of register.js, which exports runEntryInGreenThread. */
  runtime: string;
  redirected: boolean;
}
const state: State = { runtime: '', redirected: false };

/** module.register's initialize hook; called directly when the hooks run in-thread. */
export function initialize(data: { runtime: string }): void {
  state.runtime = data.runtime;
}

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Loaded = { format?: string | null; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };

function markedURL(url: string): string {
  const u = new URL(url);
  u.searchParams.append(MARK, '1');
  return u.href;
}

function isMarked(url: string): URL | undefined {
  if (!url.startsWith('file:')) return undefined;
  const u = new URL(url);
  if (!u.searchParams.has(MARK)) return undefined;
  u.searchParams.delete(MARK);
  return u;
}

function resolveResult(resolved: Resolved, context: { parentURL?: string }): Resolved {
  if (state.redirected || context.parentURL !== undefined || !resolved.url.startsWith('file:')) return resolved;
  state.redirected = true;
  return { ...resolved, url: markedURL(resolved.url) };
}

function standIn(real: URL, format: string | null | undefined): Loaded {
  const realURL = JSON.stringify(real.href);
  let source: string;
  if (format === 'commonjs') {
    // Run as under --require: reported from the green thread (commonjs-entry.ts).
    source =
      `import { runCommonJSEntry } from ${JSON.stringify(new URL('./commonjs-entry.js', state.runtime).href)};\n` +
      `import { fileURLToPath } from 'node:url';\n` +
      `runCommonJSEntry(fileURLToPath(${realURL}));\n`;
  } else if (format === 'module') {
    source =
      `import { runEntryInGreenThread } from ${JSON.stringify(state.runtime)};\n` +
      `import fibers from ${JSON.stringify(new URL('./fibers-package.js', state.runtime).href)};\n` +
      `import { fileURLToPath } from 'node:url';\n` +
      // Evaluated in a promise job: the engine learns what an empty
      // async-id stack looks like (as register.mts does), so that the main
      // green thread need not reach it through node:inspector.
      `fibers[Symbol.for('@greenpatch/fibers.learnTopLevelResource')]?.();\n` +
      // What the entry throws before it first blocks fails this module's
      // evaluation, as it would fail the entry's: asynchronously, so that
      // Node reports it as it reports an entry's (from its promise).
      `let needsImport;\n` +
      `try { needsImport = runEntryInGreenThread(fileURLToPath(${realURL}), false); }\n` +
      `catch (error) { await Promise.reject(error); }\n` +
      `if (needsImport) await import(${realURL});\n`;
  } else {
    source = `await import(${realURL});\n`;
  }
  return { format: 'module', source, shortCircuit: true };
}

/** Async resolve hook (module.register). */
export async function resolve(specifier: string, context: any, next: (s: string, c?: any) => Promise<Resolved>): Promise<Resolved> {
  return resolveResult(await next(specifier, context), context);
}

/** Async load hook (module.register). */
export async function load(url: string, context: any, next: (u: string, c?: any) => Promise<Loaded>): Promise<Loaded> {
  const real = isMarked(url);
  if (real === undefined) return next(url, context);
  const loaded = await next(real.href, context);
  return standIn(real, loaded.format);
}

/** Synchronous hooks (module.registerHooks). */
export const syncHooks = {
  resolve(specifier: string, context: any, next: (s: string, c?: any) => Resolved): Resolved {
    return resolveResult(next(specifier, context), context);
  },
  load(url: string, context: any, next: (u: string, c?: any) => Loaded): Loaded {
    const real = isMarked(url);
    if (real === undefined) return next(url, context);
    const loaded = next(real.href, context);
    return standIn(real, loaded.format);
  },
};
