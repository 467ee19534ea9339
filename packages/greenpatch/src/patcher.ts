// The patcher: one declarative table of what greenpatch changes in Node's
// builtins (and globals), and the few functions that apply it. Each entry is a
// `PatchDefinition` living in its own file under `src/patches/`; everything
// else here (isPatched, getOriginal, patch, patchAll, unpatch, the
// GREENPATCH_PATCH parsing of the register hook) is derived from the table, so
// adding a module to greenpatch is one new file and one line below.
//
// Patching is in place: the builtin's exports object (the one `require('net')`,
// `require('node:net')` and `process.getBuiltinModule('net')` all return) gets
// its properties replaced or added, and `module.syncBuiltinESMExports()` then
// refreshes the ESM namespaces of builtins, so `import { connect } from
// 'node:net'` sees the replacement through its live binding. Behaviour that has
// to reach objects created from references taken before patching (a server
// made by a saved `createServer`) lives on prototypes, listed as `members`.
import { syncBuiltinESMExports } from 'node:module';

import { codedError, describeValue } from './errors.js';

import { definition as net } from './patches/net.js';
import { definition as dns } from './patches/dns.js';
import { definition as http } from './patches/http.js';
import { definition as https } from './patches/https.js';
import { definition as child_process } from './patches/child_process.js';
import { definition as fs } from './patches/fs.js';
import { definition as zlib } from './patches/zlib.js';
import { definition as crypto } from './patches/crypto.js';
import { definition as atomics } from './patches/atomics.js';


/**
 * Methods replaced (or added) on one object reachable from a patch's target,
 * usually a prototype, e.g. `{ path: 'Server.prototype', methods: { emit: (original) => ... } }`.
 */
export interface MemberPatch {
  /** Dotted path from the target to the object, e.g. `'Socket.prototype'`. */
  readonly path: string;
  /**
   * Method name → factory given the current value (undefined when the object
   * lacks it) that returns the replacement. The replacement must behave
   * exactly as the original wherever the original would have been used.
   */
  readonly methods: { readonly [name: string]: (original: any) => unknown };
}

/**
 * One patched module (or global object): which object it changes, which of
 * its exports it replaces, what it adds, and which members of objects inside
 * it it changes. A definition is data; the patcher applies and reverts it.
 */
export interface PatchDefinition {
  /** The key in `patch({ ... })`, `GREENPATCH_PATCH`, `isPatched()`: `'net'`, `'Atomics'`. */
  readonly name: string;
  /** The builtin module patched in place (without `node:`), when it is one. */
  readonly module?: string;
  /** The object changed: the builtin's exports, or e.g. `globalThis.Atomics`. */
  readonly target: () => any;
  /** Other definitions that must be applied first (by name). */
  readonly requires?: readonly string[];
  /**
   * Exports set on the target, by name: replacements of existing ones and
   * additions alike (the patcher remembers which, to revert). A green module
   * exports the very same values, so `greenpatch/green/<name>` and the patched
   * builtin agree.
   */
  readonly exports?: () => { readonly [name: string]: unknown };
  /** Members of objects inside the target (prototypes) replaced or added. */
  readonly members?: readonly MemberPatch[];
  /**
   * Called after the patch is reverted, for what the table cannot say: e.g.
   * Node itself re-binding exports while patched (`dns.setServers`), so that
   * the saved originals are stale and the fresh ones must be put back.
   */
  readonly reverted?: (target: any) => void;
}

/**
 * Every patch greenpatch knows, in the order `patchAll()` applies them.
 * To add one: write `src/patches/<name>.ts` exporting `definition`, import it above,
 * list it here.
 */
export const table: readonly PatchDefinition[] = [net, dns, http, https, child_process, fs, zlib, crypto, atomics];

/** Names `patch()`, `patchAll()` and `GREENPATCH_PATCH` accept. */
export type PatchName = (typeof table)[number]['name'] | (string & {});

/** Which patches to apply: `{ net: true, dns: true }`. */
export type PatchOptions = { readonly [name: string]: boolean | undefined };

interface Saved {
  /** Own property descriptors of the target before patching (undefined: it had none). */
  readonly exports: Map<string, PropertyDescriptor | undefined>;
  /** `'Server.prototype.emit'` → own descriptor before patching. */
  readonly members: Map<string, { owner: any; name: string; before: PropertyDescriptor | undefined }>;
}

const applied = new Map<string, Saved>();

function definitionOf(name: string): PatchDefinition {
  const found = table.find((d) => d.name === name);
  if (found === undefined) {
    const error = new Error(
      `greenpatch has no patch named ${describeValue(name)} (known: ${table.map((d) => d.name).join(', ')})`,
    ) as Error & { code: string };
    error.code = 'ERR_GREENPATCH_UNKNOWN_PATCH';
    throw error;
  }
  return found;
}

function resolvePath(root: any, path: string): any {
  let object = root;
  for (const part of path.split('.')) {
    object = object?.[part];
  }
  if (object === null || (typeof object !== 'object' && typeof object !== 'function')) {
    throw new Error(`greenpatch: nothing to patch at '${path}'`);
  }
  return object;
}

function apply(definition: PatchDefinition): boolean {
  if (applied.has(definition.name)) return false;
  for (const dependency of definition.requires ?? []) apply(definitionOf(dependency));
  const target = definition.target();
  const saved: Saved = { exports: new Map(), members: new Map() };
  // Resolve everything before changing anything, so that a failure leaves the
  // target untouched.
  const exports = definition.exports?.() ?? {};
  const members = (definition.members ?? []).map((m) => ({ patch: m, owner: resolvePath(target, m.path) }));
  for (const [name, value] of Object.entries(exports)) {
    const before = Object.getOwnPropertyDescriptor(target, name);
    saved.exports.set(name, before);
    Object.defineProperty(target, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: before?.enumerable ?? true,
    });
  }
  for (const { patch, owner } of members) {
    for (const [name, make] of Object.entries(patch.methods)) {
      const before = Object.getOwnPropertyDescriptor(owner, name);
      saved.members.set(`${patch.path}.${name}`, { owner, name, before });
      Object.defineProperty(owner, name, {
        value: make(owner[name]),
        writable: true,
        configurable: true,
        // Methods on prototypes are not enumerable, as class methods are.
        enumerable: before?.enumerable ?? false,
      });
    }
  }
  applied.set(definition.name, saved);
  return true;
}

function revert(definition: PatchDefinition): boolean {
  const saved = applied.get(definition.name);
  if (saved === undefined) return false;
  const target = definition.target();
  for (const [name, before] of saved.exports) {
    if (before === undefined) delete target[name];
    else Object.defineProperty(target, name, before);
  }
  for (const { owner, name, before } of saved.members.values()) {
    if (before === undefined) delete owner[name];
    else Object.defineProperty(owner, name, before);
  }
  applied.delete(definition.name);
  definition.reverted?.(target);
  return true;
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
  if (done.length > 0) syncESM();
  return done;
}

/**
 * Applies every patch in the table, except those set to `false` in `options`
 * (`patchAll({ dns: false })`). Idempotent. Returns the names newly applied.
 */
export function patchAll(options: PatchOptions = {}): string[] {
  if (options === null || typeof options !== 'object') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'patchAll(options): options must be an object such as { dns: false }', TypeError);
  }
  for (const name of Object.keys(options)) definitionOf(name);
  const wanted: Record<string, boolean> = {};
  for (const definition of table) wanted[definition.name] = options[definition.name] !== false;
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
  if (done.length > 0) syncESM();
  return done;
}

/** Whether the patch `name` (`'net'`, `'dns'`, ...) is applied. */
export function isPatched(name: string): boolean {
  definitionOf(name);
  return applied.has(name);
}

/**
 * The value `exportName` had before patch `name` was applied: an export
 * (`getOriginal('dns', 'lookup')`) or a member by its path
 * (`getOriginal('net', 'Server.prototype.emit')`). When the patch is not
 * applied, the current value, which is then the original.
 */
export function getOriginal(name: string, exportName: string): any {
  const definition = definitionOf(name);
  const saved = applied.get(name);
  const target = definition.target();
  if (saved !== undefined) {
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
    for (const d of table) all[d.name] = true;
    return all;
  }
  if (trimmed === 'none') return all;
  for (const name of trimmed.split(',').map((s) => s.trim()).filter(Boolean)) {
    definitionOf(name);
    all[name] = true;
  }
  return all;
}
