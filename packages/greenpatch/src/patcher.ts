// The patcher: applies and reverts the definitions of the patch table
// (patches/index.ts). isPatched, getOriginal, patch, patchAll, unpatch and the
// GREENPATCH_PATCH parsing of the register hook are all derived from the table.
//
// Patching is in place. A builtin's exports object (the one `require('net')`,
// `require('node:net')` and `process.getBuiltinModule('net')` all return) gets
// its properties replaced or added, and `module.syncBuiltinESMExports()` then
// refreshes the ESM namespaces of builtins, so `import { connect } from
// 'node:net'` sees the replacement through its live binding. Behaviour that has
// to reach objects created from references taken before patching (a server
// made by a saved `createServer`) lives on prototypes, listed as `members`.
//
// An npm package's entry is armed when applied, and patches each copy of the
// package (or of the file inside it that the entry names) as it loads:
// through require-in-the-middle for CommonJS and, where the ESM hooks are on
// (`node --import greenpatch/register`), import-in-the-middle for ES modules.
// Neither is loaded before an npm entry is armed.
import { isBuiltin, syncBuiltinESMExports } from 'node:module';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';

import { codedError, describeValue } from './errors.js';
import { startMonitorFromEnv } from './monitor.js';
import { table, type PatchDefinition } from './patches/index.js';

export type { MemberPatch, PatchDefinition } from './patches/index.js';

/** Names `patch()`, `patchAll()` and `GREENPATCH_PATCH` accept. */
export type PatchName = (typeof table)[number]['name'] | (string & {});

/** Which patches to apply: `{ net: true, dns: true }`. */
export type PatchOptions = { readonly [name: string]: boolean | undefined };

/** What one target looked like before a definition was applied to it. */
interface Saved {
  /** Own property descriptors of the target before patching (undefined: it had none). */
  readonly exports: Map<string, PropertyDescriptor | undefined>;
  /** `'Server.prototype.emit'` → own descriptor before patching. */
  readonly members: Map<string, { owner: any; name: string; before: PropertyDescriptor | undefined }>;
  /** An ES module namespace (import-in-the-middle's): exports are assigned, not defined. */
  readonly namespace: boolean;
}

/** Applied (or, for npm entries, armed) definitions → each target patched so far, in the order patched. */
const applied = new Map<string, Map<object, Saved>>();

function definitionOf(name: string): PatchDefinition {
  const found = table.find((d) => d.name === name);
  if (found === undefined) {
    throw codedError(
      'ERR_GREENPATCH_UNKNOWN_PATCH',
      `greenpatch has no patch named ${describeValue(name)} (known: ${table.map((d) => d.name).join(', ')})`,
    );
  }
  return found;
}

/** True for an entry that names an npm package rather than a builtin or a global. */
function isPackageEntry(definition: PatchDefinition): boolean {
  return definition.module !== undefined && !isBuiltin(definition.module);
}

/** The object a builtin's or global's definition changes. */
function fixedTarget(definition: PatchDefinition): any {
  if (definition.module !== undefined) return require(`node:${definition.module}`);
  return definition.target!();
}

function resolvePath(root: any, path: string): any {
  let object = root;
  if (path !== '') for (const part of path.split('.')) object = object?.[part];
  if (object === null || (typeof object !== 'object' && typeof object !== 'function')) {
    throw codedError('ERR_GREENPATCH_NOTHING_TO_PATCH', `greenpatch: nothing to patch at '${path}'`);
  }
  return object;
}

/** Applies `definition` to `target`; returns what to restore. Resolves everything first, so a failure changes nothing. */
function applyTo(definition: PatchDefinition, target: any, namespace: boolean): Saved {
  const saved: Saved = { exports: new Map(), members: new Map(), namespace };
  const exports = definition.exports?.(target) ?? {};
  const memberList = typeof definition.members === 'function' ? definition.members() : (definition.members ?? []);
  const members = memberList.map((m) => ({ patch: m, owner: resolvePath(target, m.path) }));
  for (const [name, value] of Object.entries(exports)) {
    const before = Object.getOwnPropertyDescriptor(target, name);
    saved.exports.set(name, before);
    if (namespace) target[name] = value;
    else Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: before?.enumerable ?? true });
  }
  for (const { patch, owner } of members) {
    for (const [name, make] of Object.entries(patch.methods)) {
      const before = Object.getOwnPropertyDescriptor(owner, name);
      saved.members.set(patch.path === '' ? name : `${patch.path}.${name}`, { owner, name, before });
      Object.defineProperty(owner, name, {
        value: make(owner[name]),
        writable: true,
        configurable: true,
        // Methods on prototypes are not enumerable, as class methods are.
        enumerable: before?.enumerable ?? false,
      });
    }
  }
  return saved;
}

function restore(target: any, saved: Saved): void {
  for (const [name, before] of saved.exports) {
    if (saved.namespace) target[name] = before === undefined ? undefined : 'value' in before ? before.value : before.get?.call(target);
    else if (before === undefined) delete target[name];
    else Object.defineProperty(target, name, before);
  }
  for (const { owner, name, before } of saved.members.values()) {
    if (before === undefined) delete owner[name];
    else Object.defineProperty(owner, name, before);
  }
}

function apply(definition: PatchDefinition): boolean {
  if (applied.has(definition.name)) return false;
  if (isPackageEntry(definition)) {
    applied.set(definition.name, new Map());
    packageHooksStale = true;
    return true;
  }
  const target = fixedTarget(definition);
  applied.set(definition.name, new Map([[target, applyTo(definition, target, false)]]));
  return true;
}

function revert(definition: PatchDefinition): boolean {
  const targets = applied.get(definition.name);
  if (targets === undefined) return false;
  applied.delete(definition.name);
  for (const [target, saved] of targets) restore(target, saved);
  if (isPackageEntry(definition)) packageHooksStale = true;
  else definition.reverted?.(fixedTarget(definition));
  return true;
}

// --- npm packages: patched as they load --------------------------------------

/**
 * The name the loader hooks report for an entry's module: the package, or
 * `package/path/to/file` without `.js` and `/index` (require-in-the-middle's
 * spelling of a file inside a package).
 */
function hookedName(definition: PatchDefinition): string {
  if (definition.file === undefined) return definition.module!;
  return `${definition.module}/${definition.file}`.replace(/(\/index)?(\.js)?$/, '');
}

const versions = new Map<string, string | undefined>();

/** The version of the package at `basedir` (cached); undefined when it cannot be read. */
function packageVersion(basedir: string): string | undefined {
  if (!versions.has(basedir)) {
    let version: string | undefined;
    try {
      version = JSON.parse(readFileSync(join(basedir, 'package.json'), 'utf8')).version;
    } catch {
      version = undefined;
    }
    versions.set(basedir, version);
  }
  return versions.get(basedir);
}

function supported(definition: PatchDefinition, basedir: string | undefined): boolean {
  if (definition.versions === undefined) return true;
  const version = basedir === undefined ? undefined : packageVersion(basedir);
  if (version === undefined) return false;
  const semver = require('semver') as typeof import('semver');
  return semver.satisfies(version, definition.versions, { includePrerelease: true });
}

/** Called by the loader hooks with a module that has just loaded: patches it for every armed entry naming it. */
function onPackageLoaded(name: string, basedir: string | undefined, target: unknown, namespace: boolean): void {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return;
  for (const definition of table) {
    const targets = applied.get(definition.name);
    if (targets === undefined || !isPackageEntry(definition) || hookedName(definition) !== name) continue;
    if (targets.has(target) || !supported(definition, basedir)) continue;
    targets.set(target, applyTo(definition, target, namespace));
  }
}

interface Unhookable {
  unhook(): void;
}
let requireHook: Unhookable | undefined;
let importHook: Unhookable | undefined;
let esmToCommonJSHook: Unhookable | undefined;
let esmHooksOn = false;

/** @internal Called by `greenpatch/register` once import-in-the-middle's loader is registered. */
export function esmHooksEnabled(): void {
  esmHooksOn = true;
  rearmPackageHooks();
}

/** @internal The module names of the npm entries `patch()` would arm for `options` (for the ESM loader's include list). */
export function packageModuleNames(options: PatchOptions): string[] {
  return table.filter((d) => options[d.name] === true && isPackageEntry(d)).map(hookedName);
}

/**
 * An ES module importing a CommonJS package makes Node load the package's
 * main file with `Module._load(absolutePath)`, which require-in-the-middle
 * (a wrapper of `require`) does not see, and where Node's loader hooks run
 * in another thread (Node 20) import-in-the-middle cannot patch it in
 * place either. This wrapper of `Module._load` catches those loads of the
 * packages in `names` (and of the files inside them that entries name) and
 * patches their exports, calling the original.
 */
function hookCommonJSFromESM(names: ReadonlySet<string>): Unhookable {
  const Module = require('node:module') as { _load(request: string, parent: unknown, isMain: boolean): unknown };
  const original = Module._load;
  const load = function (this: unknown, request: string): unknown {
    const exports = Reflect.apply(original, this, arguments);
    if (typeof request === 'string' && isAbsolute(request)) {
      const at = request.lastIndexOf(`${sep}node_modules${sep}`);
      if (at >= 0) {
        const parts = request.slice(at + 14).split(sep);
        const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
        // A file inside the package that an entry names (ws's ES wrapper
        // imports lib/websocket-server.js itself), spelled as hookedName().
        const file = `${name}/${parts.slice(name.includes('/') ? 2 : 1).join('/')}`.replace(/(\/index)?(\.js)?$/, '');
        if (file !== name && names.has(file)) {
          onPackageLoaded(file, request.slice(0, at + 14 + name.length), exports, false);
        } else if (names.has(name)) {
          const basedir = request.slice(0, at + 14 + name.length);
          let main: string | undefined;
          try {
            main = require.resolve(name, { paths: [basedir] });
          } catch {
            main = undefined;
          }
          if (main === request) onPackageLoaded(name, basedir, exports, false);
        }
      }
    }
    return exports;
  };
  Module._load = load;
  return {
    unhook() {
      if (Module._load === load) Module._load = original;
    },
  };
}

/** Set when npm entries were armed or disarmed: patch() and unpatch() then rearm the hooks once. */
let packageHooksStale = false;

/** (Re)installs one require hook and one import hook for the armed npm entries; none when there are none. */
function rearmPackageHooks(): void {
  packageHooksStale = false;
  requireHook?.unhook();
  importHook?.unhook();
  esmToCommonJSHook?.unhook();
  requireHook = importHook = esmToCommonJSHook = undefined;
  const names = [...new Set(table.filter((d) => applied.has(d.name) && isPackageEntry(d)).map(hookedName))];
  if (names.length === 0) return;
  const ritm = require('require-in-the-middle') as typeof import('require-in-the-middle');
  requireHook = new ritm.Hook(names, (exports, name, basedir) => {
    onPackageLoaded(name, basedir, exports, false);
    return exports;
  });
  esmToCommonJSHook = hookCommonJSFromESM(new Set(names));
  if (!esmHooksOn) return;
  const iitm = require('import-in-the-middle') as typeof import('import-in-the-middle');
  importHook = new iitm.Hook(names, (exported: any, name: string, basedir: string | void) => {
    // A CommonJS package imported from ESM: its module.exports is the default export.
    const cjs = exported.default !== null && (typeof exported.default === 'object' || typeof exported.default === 'function');
    onPackageLoaded(name, basedir ?? undefined, cjs ? exported.default : exported, !cjs);
  });
}

function syncESM(): void {
  // Builtins' ESM namespaces are snapshots of the CJS exports object; this
  // refreshes them (names only the builtin already had: additions such as
  // `connectSync` are reached through the default export or greenpatch/green/*).
  syncBuiltinESMExports();
}

/**
 * Applies the named patches in place. Idempotent: a patch already applied is
 * left as it is. Returns the names newly applied.
 *
 * ```ts
 * patch({ net: true, dns: true });
 * ```
 */
export function patch(options: PatchOptions): string[] {
  if (options === null || typeof options !== 'object') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'patch(options): options must be an object such as { net: true }', TypeError);
  }
  const done: string[] = [];
  for (const [name, wanted] of Object.entries(options)) {
    if (wanted === true) definitionOf(name);
  }
  // Table order, so dependencies and load order do not depend on key order.
  for (const definition of table) {
    if (options[definition.name] === true && apply(definition)) done.push(definition.name);
  }
  if (packageHooksStale) rearmPackageHooks();
  if (done.length > 0) syncESM();
  return done;
}

/**
 * Applies every patch in the table, except those set to `false` in `options`
 * (`patchAll({ dns: false })`). Idempotent. Returns the names newly applied.
 * Also starts the hub monitor when `GREENPATCH_MONITOR` asks for it (see
 * `startMonitor`).
 */
export function patchAll(options: PatchOptions = {}): string[] {
  if (options === null || typeof options !== 'object') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'patchAll(options): options must be an object such as { dns: false }', TypeError);
  }
  for (const name of Object.keys(options)) definitionOf(name);
  const wanted: Record<string, boolean> = {};
  for (const definition of table) wanted[definition.name] = options[definition.name] ?? definition.byDefault !== false;
  // First, so that a bad GREENPATCH_MONITOR throws before anything is patched.
  startMonitorFromEnv();
  return patch(wanted);
}

/** gevent's spelling of {@link patchAll}. */
export const patch_all = patchAll;

/**
 * Reverts patches (all applied ones when no names are given), restoring every
 * replaced export and member and deleting additions. Meant for tests and
 * tools; green threads already running keep what they hold.
 */
export function unpatch(...names: string[]): string[] {
  const chosen = names.length > 0 ? names.map(definitionOf) : [...table].reverse();
  const done = chosen.filter(revert).map((d) => d.name);
  if (packageHooksStale) rearmPackageHooks();
  if (done.length > 0) syncESM();
  return done;
}

/**
 * Whether the patch `name` (`'net'`, `'dns'`, `'express'`...) is applied. An npm
 * package's entry counts as applied once armed: every copy of the package
 * that loads from then on is patched.
 */
export function isPatched(name: string): boolean {
  definitionOf(name);
  return applied.has(name);
}

/**
 * The value `exportName` had before patch `name` was applied: an export
 * (`getOriginal('dns', 'lookup')`) or a member by its path
 * (`getOriginal('net', 'Server.prototype.emit')`). When the patch is not
 * applied, the current value, which is then the original. For an npm
 * package's entry, the value in the first copy of the package patched;
 * undefined while no copy has loaded.
 */
export function getOriginal(name: string, exportName: string): any {
  const definition = definitionOf(name);
  const targets = applied.get(name);
  let target: any;
  if (targets !== undefined && targets.size > 0) {
    const [first, saved] = targets.entries().next().value as [any, Saved];
    target = first;
    if (saved.exports.has(exportName)) {
      const before = saved.exports.get(exportName);
      return before === undefined ? undefined : 'value' in before ? before.value : before.get?.call(target);
    }
    const member = saved.members.get(exportName);
    if (member !== undefined) {
      const { before, owner } = member;
      // An inherited method (EventEmitter's emit) was not an own property.
      if (before === undefined) return Object.getPrototypeOf(owner)?.[member.name];
      return 'value' in before ? before.value : before.get?.call(owner);
    }
  } else if (isPackageEntry(definition)) {
    return undefined;
  } else {
    target = fixedTarget(definition);
  }
  const dot = exportName.lastIndexOf('.');
  if (dot < 0) return target[exportName];
  return resolvePath(target, exportName.slice(0, dot))[exportName.slice(dot + 1)];
}

/** The names in the table, in order. */
export function patchNames(): string[] {
  return table.map((d) => d.name);
}

/**
 * Parses a `GREENPATCH_PATCH` value (`'net,dns'`; empty or unset: everything;
 * `'none'`: nothing) into options for {@link patch}. Unknown names throw.
 */
export function parsePatchList(value: string | undefined): PatchOptions {
  const all: Record<string, boolean> = {};
  const trimmed = value?.trim() ?? '';
  if (trimmed === '' || trimmed === 'all') {
    for (const d of table) all[d.name] = d.byDefault !== false;
    return all;
  }
  if (trimmed === 'none') return all;
  for (const name of trimmed.split(',').map((s) => s.trim()).filter(Boolean)) {
    definitionOf(name);
    all[name] = true;
  }
  return all;
}
