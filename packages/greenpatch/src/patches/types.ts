// What a patch definition is. Each file beside this one holds one definition;
// index.ts lists them; ../patcher.ts applies and reverts them. A definition
// is data: it names what it changes and how to make the replacements, and
// loads nothing until it is applied.

/**
 * Methods replaced (or added) on one object reachable from a patch's target,
 * usually a prototype, e.g. `{ path: 'Server.prototype', methods: { emit: (original) => ... } }`.
 */
export interface MemberPatch {
  /** Dotted path from the target to the object, e.g. `'Socket.prototype'`; `''` for the target itself. */
  readonly path: string;
  /**
   * Method name → factory given the current value (undefined when the object
   * lacks it) that returns the replacement. The replacement must behave
   * exactly as the original wherever the original would have been used, and
   * call the original for what it does not change.
   */
  readonly methods: { readonly [name: string]: (original: any) => unknown };
}

/**
 * One patched module — a builtin, an npm package (or one file inside it) —
 * or global object: which object it changes, which of its exports it
 * replaces or adds, and which members of objects inside it it changes.
 */
export interface PatchDefinition {
  /** The key in `patch({ ... })`, `GREENPATCH_PATCH`, `isPatched()`: `'net'`, `'Atomics'`, `'express'`. */
  readonly name: string;
  /**
   * The module patched: a builtin (`'net'`, without `node:`) or an npm
   * package (`'express'`), patched in place when it first loads (every copy
   * of a package that loads), or at once when it is already loaded. Absent
   * for a global object (see `target`).
   */
  readonly module?: string;
  /**
   * Builtins only: other builtins through which the objects this patch
   * changes are reached without `module` being loaded by name. `net`'s patch
   * is on `Server.prototype.emit`, which the servers of http, https and tls
   * inherit: loading any of those applies the `net` patch too.
   */
  readonly reachedThrough?: readonly string[];
  /** npm packages only: the versions supported, as a semver range; other versions are left alone. */
  readonly versions?: string;
  /**
   * npm packages only: the file inside the package whose exports are the
   * target, e.g. `'lib/router/layer.js'`, when what to wrap lives there
   * rather than in the package's main exports.
   */
  readonly file?: string;
  /** Global objects only: the object changed, e.g. `globalThis.Atomics`. */
  readonly target?: () => any;
  /** Whether `patchAll()` and the register hook apply it; default true. */
  readonly byDefault?: boolean;
  /**
   * Exports set on the target, by name: replacements of existing ones and
   * additions alike (the patcher remembers which, to revert). A green module
   * exports the very same values, so `greenpatch/green/<name>` and the patched
   * builtin agree.
   */
  readonly exports?: (target: any) => { readonly [name: string]: unknown };
  /** Members of objects inside the target (prototypes) replaced or added (a function when they are only known once loaded). */
  readonly members?: readonly MemberPatch[] | (() => readonly MemberPatch[]);
  /**
   * Called after the patch is reverted, for what the table cannot say: e.g.
   * Node itself re-binding exports while patched (`dns.setServers`), so that
   * the saved originals are stale and the fresh ones must be put back.
   */
  readonly reverted?: (target: any) => void;
}
