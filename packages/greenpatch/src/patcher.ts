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
// A builtin's entry is applied at once when the builtin is already loaded,
// else armed: the watchers of builtin-loads.ts patch it when user code first
// loads it (or one of the builtins its entry says it is reached through), so
// that greenpatch loads no builtin that the program does not.
//
// An npm package's entry is armed when applied, and patches each copy of the
// package (or of the file inside it that the entry names) as it loads:
// through require-in-the-middle for CommonJS and, where the ESM hooks are on
// (`node --import greenpatch/register`), import-in-the-middle for ES modules.
// require-in-the-middle is loaded only when a require first loads a file of
// an armed package; import-in-the-middle only when the ESM hooks are on
// (`--import greenpatch/register` turns them on when the program first
// imports an ES module import-in-the-middle must wrap: esm-package-hooks.ts).
import { readFileSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';

import { builtinLoaded, watchBuiltinLoads } from './builtin-loads.js';
import { NodeModule, noteLoad, registerLoadWrapper } from './load-wrappers.js';
import { codedError, describeValue } from './errors.js';
import { table, type PatchDefinition } from './patches/index.js';

interface Unhookable {
  unhook(): void;
}

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

/** Applied (or, for npm and not yet loaded builtin entries, armed) definitions → each target patched so far, in the order patched. */
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
  return definition.module !== undefined && !NodeModule.isBuiltin(definition.module);
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
  if (definition.module !== undefined && !builtinNames(definition).some(builtinLoaded)) {
    applied.set(definition.name, new Map());
    builtinWatchStale = true;
    return true;
  }
  applyNow(definition);
  return true;
}

/** Applies an armed builtin's or a global's entry to its target (loading the builtin). */
function applyNow(definition: PatchDefinition): void {
  // Loading the builtin below reaches the watchers, which must not apply it twice.
  const armed = new Map<object, Saved>();
  applied.set(definition.name, armed);
  applying.add(definition.name);
  try {
    const target = fixedTarget(definition);
    armed.set(target, applyTo(definition, target, false));
  } catch (error) {
    // Nothing was changed: not applied.
    applied.delete(definition.name);
    throw error;
  } finally {
    applying.delete(definition.name);
  }
  builtinWatchStale = true;
}

function revert(definition: PatchDefinition): boolean {
  const targets = applied.get(definition.name);
  if (targets === undefined) return false;
  applied.delete(definition.name);
  for (const [target, saved] of targets) restore(target, saved);
  if (isPackageEntry(definition)) packageHooksStale = true;
  else if (targets.size > 0) definition.reverted?.(fixedTarget(definition));
  if (definition.module !== undefined && !isPackageEntry(definition)) builtinWatchStale = true;
  return true;
}

// --- builtins: patched as they load -----------------------------------------

/** The builtins whose loading applies a builtin's entry: its own and those it is reached through. */
function builtinNames(definition: PatchDefinition): string[] {
  return [definition.module!, ...(definition.reachedThrough ?? [])];
}

/** Entries being applied now (their builtin and green modules loading): the watchers then stand aside. */
const applying = new Set<string>();
/** The builtins whose loading applies an armed entry; read by the watchers at each load. */
const watchedBuiltins = new Set<string>();
let builtinWatch: Unhookable | undefined;
/** Set when a builtin entry was armed, applied or disarmed: the watched set is then recomputed once. */
let builtinWatchStale = false;

/** An armed builtin's entry not yet applied to its builtin. */
function awaitingLoad(definition: PatchDefinition): boolean {
  return definition.module !== undefined && !isPackageEntry(definition) && applied.get(definition.name)?.size === 0;
}

function rewatchBuiltins(): void {
  builtinWatchStale = false;
  watchedBuiltins.clear();
  for (const definition of table) {
    if (awaitingLoad(definition)) for (const id of builtinNames(definition)) watchedBuiltins.add(id);
  }
  if (watchedBuiltins.size === 0) {
    builtinWatch?.unhook();
    builtinWatch = undefined;
  } else {
    builtinWatch ??= watchBuiltinLoads(watchedBuiltins, builtinLoadedByUser);
  }
}

/** Called by the watchers when user code loads the builtin `id`: applies every armed entry it concerns, in table order. */
function builtinLoadedByUser(id: string): void {
  // A builtin loaded by greenpatch's own modules while an entry is being
  // applied (green/net.js loads http) is not the program's: it applies
  // nothing; the program's own first load of it will.
  if (applying.size > 0) return;
  let done = false;
  for (const definition of table) {
    if (!awaitingLoad(definition) || applying.has(definition.name) || !builtinNames(definition).includes(id)) continue;
    applyNow(definition);
    done = true;
  }
  if (builtinWatchStale) rewatchBuiltins();
  if (done) syncESM();
}

/**
 * @internal Applies every armed builtin entry now, loading the builtins: for
 * where loads cannot be seen (ES modules running on a Node without
 * `module.registerHooks`; see register.ts).
 */
export function applyArmedBuiltins(): void {
  let done = false;
  for (const definition of table) {
    if (!awaitingLoad(definition)) continue;
    applyNow(definition);
    done = true;
  }
  if (builtinWatchStale) rewatchBuiltins();
  if (done) syncESM();
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

let requireHook: Unhookable | undefined;
let importHook: Unhookable | undefined;
let packageLoadHook: Unhookable | undefined;
let esmHooksOn = false;

/**
 * @internal Called by `greenpatch/register` once import-in-the-middle's
 * loader is registered (at start-up, or when the program first imports an
 * ES module it is needed for): adds import-in-the-middle's hook, leaving the
 * CommonJS hooks as they are.
 */
export function esmHooksEnabled(): void {
  if (esmHooksOn) return;
  esmHooksOn = true;
  const names = armedPackageNames();
  if (names.length > 0 && importHook === undefined) installImportHook(names);
}

/** @internal The module names of the npm entries `patch()` would arm for `options` (for the ESM loader's include list). */
export function packageModuleNames(options: PatchOptions): string[] {
  return table.filter((d) => options[d.name] === true && isPackageEntry(d)).map(hookedName);
}

/** The npm package a hooked name (`'express'`, `'express/lib/router/layer'`, `'@scope/name/file'`) belongs to. */
function packageOf(name: string): string {
  const parts = name.split('/');
  return name.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * The wrapper of `Module._load` installed while npm entries are armed. It
 * does two things, calling the original with the same arguments:
 *
 * - It installs require-in-the-middle only when a require first loads a file
 *   of one of the armed packages: the hook
 *   and what it loads cost start-up time that a program using none of them
 *   has no reason to pay. require-in-the-middle, a wrapper of `require`,
 *   then sees every later load (the package's own files included), but not
 *   the one under way, which this wrapper patches itself.
 * - An ES module importing a CommonJS package makes Node load the package's
 *   main file with `Module._load(absolutePath)`, which require-in-the-middle
 *   does not see, and where Node's loader hooks run in another thread (Node
 *   20) import-in-the-middle cannot patch it in place either. This wrapper
 *   patches those loads of the packages in `names` (and of the files inside
 *   them that entries name).
 */
function hookPackageLoads(names: ReadonlySet<string>): Unhookable {
  const Module = NodeModule as unknown as {
    _load(request: string, parent: unknown, isMain: boolean): unknown;
    _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  };
  const marks = [...new Set([...names].map(packageOf))].map((name) => `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`);
  const original = Module._load;
  const load = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    noteLoad(isMain, load);
    // The file a load of a package is about to read: known for an absolute
    // request; resolved for one by name only until require-in-the-middle is
    // installed (by name, so that an alias such as `koa2` counts as its
    // package, as require-in-the-middle counts it).
    let filename: string | undefined;
    if (typeof request === 'string' && !NodeModule.isBuiltin(request)) {
      if (isAbsolute(request)) {
        filename = request;
      } else if (requireHook === undefined && !request.startsWith('.')) {
        try {
          filename = Module._resolveFilename(request, parent, isMain);
        } catch {
          // Not found: the original reports it.
        }
      }
      if (filename !== undefined && !marks.some((mark) => filename!.includes(mark))) filename = undefined;
      if (filename !== undefined && requireHook === undefined) installRequireHook(names);
    }
    const exports = Reflect.apply(original, this, arguments);
    if (filename !== undefined) packageFileLoaded(names, filename, exports);
    return exports;
  };
  Module._load = load;
  registerLoadWrapper(load, original);
  return {
    unhook() {
      if (Module._load === load) Module._load = original;
    },
  };
}

/** Patches `exports`, just loaded from `filename`, when it is the main file of a package in `names` or a file an entry names. */
function packageFileLoaded(names: ReadonlySet<string>, filename: string, exports: unknown): void {
  const at = filename.lastIndexOf(`${sep}node_modules${sep}`);
  if (at < 0) return;
  const parts = filename.slice(at + 14).split(sep);
  const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  const basedir = filename.slice(0, at + 14 + name.length);
  // A file inside the package that an entry names (ws's ES wrapper imports
  // lib/websocket-server.js itself), spelled as hookedName().
  const file = `${name}/${parts.slice(name.includes('/') ? 2 : 1).join('/')}`.replace(/(\/index)?(\.js)?$/, '');
  if (file !== name && names.has(file)) {
    onPackageLoaded(file, basedir, exports, false);
  } else if (names.has(name)) {
    let main: string | undefined;
    try {
      main = require.resolve(name, { paths: [basedir] });
    } catch {
      main = undefined;
    }
    if (main === filename) onPackageLoaded(name, basedir, exports, false);
  }
}

function installRequireHook(names: ReadonlySet<string>): void {
  const ritm = require('require-in-the-middle') as typeof import('require-in-the-middle');
  requireHook = new ritm.Hook([...names], (exports, name, basedir) => {
    onPackageLoaded(name, basedir, exports, false);
    return exports;
  });
}

/** Set when npm entries were armed or disarmed: patch() and unpatch() then rearm the hooks once. */
let packageHooksStale = false;

/** (Re)installs the hooks for the armed npm entries; none when there are none. */
function rearmPackageHooks(): void {
  packageHooksStale = false;
  requireHook?.unhook();
  importHook?.unhook();
  packageLoadHook?.unhook();
  requireHook = importHook = packageLoadHook = undefined;
  const names = armedPackageNames();
  if (names.length === 0) return;
  packageLoadHook = hookPackageLoads(new Set(names));
  if (esmHooksOn) installImportHook(names);
}

/** The hooked names of the armed npm entries. */
function armedPackageNames(): string[] {
  return [...new Set(table.filter((d) => applied.has(d.name) && isPackageEntry(d)).map(hookedName))];
}

function installImportHook(names: string[]): void {
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
  NodeModule.syncBuiltinESMExports();
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
  if (builtinWatchStale) rewatchBuiltins();
  if (done.length > 0) syncESM();
  return done;
}

/**
 * Applies every patch in the table, except those set to `false` in `options`
 * (`patchAll({ dns: false })`). Idempotent. Returns the names newly applied.
 * Also installs the run-info dump on the signal `GREENPATCH_DUMP_ON` names,
 * if set (see `dumpRunInfoOn`), and starts the hub monitor when
 * `GREENPATCH_MONITOR` asks for it (see `startMonitor`).
 *
 * @throws `ERR_GREENPATCH_INVALID_DUMP_SIGNAL` when `GREENPATCH_DUMP_ON` is not such a signal.
 */
export function patchAll(options: PatchOptions = {}): string[] {
  if (options === null || typeof options !== 'object') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'patchAll(options): options must be an object such as { dns: false }', TypeError);
  }
  for (const name of Object.keys(options)) definitionOf(name);
  const wanted: Record<string, boolean> = {};
  for (const definition of table) wanted[definition.name] = options[definition.name] ?? definition.byDefault !== false;
  // First, so that a bad GREENPATCH_MONITOR or GREENPATCH_DUMP_ON throws before anything is patched.
  diagnosticsFromEnv();
  return patch(wanted);
}

/**
 * @internal Starts the hub monitor `GREENPATCH_MONITOR` asks for and installs
 * the run-info dump on the signal `GREENPATCH_DUMP_ON` names, if set. Their
 * modules (and the builtins they use) are loaded only then: most processes
 * set neither, and start-up should not pay for them.
 */
export function diagnosticsFromEnv(): void {
  if ((process.env.GREENPATCH_MONITOR ?? '').trim() !== '') {
    (require('./monitor.js') as typeof import('./monitor.js')).startMonitorFromEnv();
  }
  if ((process.env.GREENPATCH_DUMP_ON ?? '').trim() !== '') {
    (require('./dump-signal.js') as typeof import('./dump-signal.js')).dumpOnSignalFromEnv();
  }
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
  if (builtinWatchStale) rewatchBuiltins();
  if (done.length > 0) syncESM();
  return done;
}

/**
 * Whether the patch `name` (`'net'`, `'dns'`, `'express'`...) is applied. An
 * entry counts as applied once armed: a builtin not loaded yet is patched
 * when it first loads, and every copy of an npm package that loads from then
 * on is patched.
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
  // The builtin is wanted now: load and patch it.
  if (awaitingLoad(definition)) builtinLoadedByUser(definition.module!);
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
