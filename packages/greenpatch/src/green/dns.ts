// greenpatch/green/dns: Node's `dns`, where the callback-only functions
// (`lookup`, `lookupService`, `resolve*`, `reverse`), called without their
// callback inside a green thread, block only that thread and return what the
// callback would have received (shaped as `dns.promises` shapes it). With a
// callback, or outside a green thread, they are Node's own. Added: the
// `*Sync` family (`lookupSync`, `resolveSync`, `resolve4Sync`, ...), which
// always block the green thread (and throw ERR_GREENPATCH_BLOCKING_ON_HUB
// outside one), and a `Resolver` whose methods do the same.
import dns = require('node:dns');
import type { LookupAddress, LookupOptions } from 'node:dns';

import { likeOriginal } from './internal/cooperative.js';
import { block, mayBlock } from './internal/runtime.js';

/** Callback results with more than one value, named as `dns.promises` names them. */
const shapes: Record<string, readonly string[]> = {
  lookup: ['address', 'family'],
  lookupService: ['hostname', 'service'],
};

type Callback = (error: NodeJS.ErrnoException | null, ...results: any[]) => void;

function callSync(original: Function, thisArg: unknown, args: unknown[], name: string): any {
  return block<any>(`dns.${name}()`, (k) => {
    const done: Callback = (error, ...results) => {
      if (error) return k.fail(error);
      const shape = shapes[name];
      if (shape !== undefined && results.length > 1) {
        const value: Record<string, unknown> = {};
        shape.forEach((key, i) => (value[key] = results[i]));
        return k.resume(value);
      }
      k.resume(results[0]);
    };
    Reflect.apply(original, thisArg, [...args, done]);
    // A DNS query in flight cannot be taken back; its answer is dropped.
  });
}

/**
 * The green version of the callback-only function `name`, calling what
 * `current()` returns at each call: with a callback, or where the caller
 * may not block, that function itself; otherwise its result, blocking the
 * green thread.
 */
function greenCalling(name: string, current: () => Function): Function {
  return likeOriginal(
    function (this: unknown, ...args: unknown[]) {
      if (typeof args[args.length - 1] === 'function' || !mayBlock()) return Reflect.apply(current(), this, args);
      return callSync(current(), this, args, name);
    },
    current(),
    name,
  );
}

/**
 * The green version of `dns`'s function `name`. Node re-binds the module's
 * resolve functions on `setServers`, so the current original is looked up
 * at each call.
 */
function greenModuleFunction(name: string): Function {
  return greenCalling(name, () => originals[name]);
}

/** The green version of the `dns.Resolver.prototype` method `original`. */
function greenMethod(name: string, original: Function): Function {
  return greenCalling(name, () => original);
}

/** The `*Sync` version of callback-only function `name` of `dns`. */
function syncVersion(name: string, original: () => Function): Function {
  return likeOriginal(
    function (this: unknown, ...args: unknown[]) {
      return callSync(original(), this, args, name);
    },
    original(),
    `${name}Sync`,
  );
}

/** The callback-only functions of this Node's `dns` (the family grows with Node's versions). */
export const callbackFunctionNames: readonly string[] = Object.keys(dns).filter(
  (key) => typeof (dns as any)[key] === 'function' && /^(lookup|lookupService|resolve\w*|reverse)$/.test(key),
);

const originals: Record<string, Function> = {};
for (const name of callbackFunctionNames) originals[name] = (dns as any)[name];

/** Green versions of the callback-only functions, by name: what `dns` is patched with. */
export const greenFunctions: Record<string, Function> = {};
/** The added `*Sync` functions, by name (`lookupSync`, ...). */
export const syncFunctions: Record<string, Function> = {};
for (const name of callbackFunctionNames) {
  greenFunctions[name] = greenModuleFunction(name);
  syncFunctions[`${name}Sync`] = syncVersion(name, () => originals[name]);
}

const stockSetServers = dns.setServers;

/**
 * `dns.setServers`. Node answers it by binding fresh `resolve*` functions
 * onto the `dns` module; this one then takes those as the originals the green
 * versions call, and keeps the green versions installed where they were.
 */
export function setServers(servers: readonly string[]): void {
  const green = callbackFunctionNames.filter((name) => (dns as any)[name] === greenFunctions[name]);
  Reflect.apply(stockSetServers, dns, [servers]);
  refreshOriginals();
  for (const name of green) (dns as any)[name] = greenFunctions[name];
}
likeOriginal(setServers, stockSetServers, 'setServers');

/** Takes the `dns` module's current stock functions as the originals. */
export function refreshOriginals(): void {
  for (const name of callbackFunctionNames) {
    const value = (dns as any)[name];
    if (value !== greenFunctions[name]) originals[name] = value;
  }
}

/** Puts Node's current functions back on `dns` (after the patch is reverted). */
export function restoreOriginals(): void {
  refreshOriginals();
  for (const name of callbackFunctionNames) (dns as any)[name] = originals[name];
}

type Records = any;

// Named exports, written out so that ESM `import { lookupSync } from
// 'greenpatch/green/dns'` sees them. Names newer Node versions add are on the
// module object too (set below), reached through the default export.

/** `dns.lookup`; without a callback inside a green thread, returns `{ address, family }` (an array with `all`). */
export const lookup = greenFunctions.lookup as typeof dns.lookup & ((hostname: string, options?: number | LookupOptions) => LookupAddress & LookupAddress[]);
export const lookupService = greenFunctions.lookupService as typeof dns.lookupService & ((address: string, port: number) => { hostname: string; service: string });
export const resolve = greenFunctions.resolve as typeof dns.resolve & ((hostname: string, rrtype?: string) => Records);
export const resolve4 = greenFunctions.resolve4 as typeof dns.resolve4 & ((hostname: string, options?: dns.ResolveOptions) => Records);
export const resolve6 = greenFunctions.resolve6 as typeof dns.resolve6 & ((hostname: string, options?: dns.ResolveOptions) => Records);
export const resolveAny = greenFunctions.resolveAny as typeof dns.resolveAny & ((hostname: string) => dns.AnyRecord[]);
export const resolveCaa = greenFunctions.resolveCaa as typeof dns.resolveCaa & ((hostname: string) => dns.CaaRecord[]);
export const resolveCname = greenFunctions.resolveCname as typeof dns.resolveCname & ((hostname: string) => string[]);
export const resolveMx = greenFunctions.resolveMx as typeof dns.resolveMx & ((hostname: string) => dns.MxRecord[]);
export const resolveNaptr = greenFunctions.resolveNaptr as typeof dns.resolveNaptr & ((hostname: string) => dns.NaptrRecord[]);
export const resolveNs = greenFunctions.resolveNs as typeof dns.resolveNs & ((hostname: string) => string[]);
export const resolvePtr = greenFunctions.resolvePtr as typeof dns.resolvePtr & ((hostname: string) => string[]);
export const resolveSoa = greenFunctions.resolveSoa as typeof dns.resolveSoa & ((hostname: string) => dns.SoaRecord);
export const resolveSrv = greenFunctions.resolveSrv as typeof dns.resolveSrv & ((hostname: string) => dns.SrvRecord[]);
export const resolveTxt = greenFunctions.resolveTxt as typeof dns.resolveTxt & ((hostname: string) => string[][]);
export const reverse = greenFunctions.reverse as typeof dns.reverse & ((ip: string) => string[]);

/** Resolves `hostname` (as `dns.lookup`), blocking the green thread: `{ address, family }`, or an array with `all: true`. */
export const lookupSync = syncFunctions.lookupSync as {
  (hostname: string, options: LookupOptions & { all: true }): LookupAddress[];
  (hostname: string, options?: number | LookupOptions): LookupAddress;
};
/** `dns.lookupService` blocking the green thread: `{ hostname, service }`. */
export const lookupServiceSync = syncFunctions.lookupServiceSync as (address: string, port: number) => { hostname: string; service: string };
/** `dns.resolve` blocking the green thread. */
export const resolveSync = syncFunctions.resolveSync as (hostname: string, rrtype?: string) => Records;
export const resolve4Sync = syncFunctions.resolve4Sync as (hostname: string, options?: dns.ResolveOptions) => Records;
export const resolve6Sync = syncFunctions.resolve6Sync as (hostname: string, options?: dns.ResolveOptions) => Records;
export const resolveAnySync = syncFunctions.resolveAnySync as (hostname: string) => dns.AnyRecord[];
export const resolveCaaSync = syncFunctions.resolveCaaSync as (hostname: string) => dns.CaaRecord[];
export const resolveCnameSync = syncFunctions.resolveCnameSync as (hostname: string) => string[];
export const resolveMxSync = syncFunctions.resolveMxSync as (hostname: string) => dns.MxRecord[];
export const resolveNaptrSync = syncFunctions.resolveNaptrSync as (hostname: string) => dns.NaptrRecord[];
export const resolveNsSync = syncFunctions.resolveNsSync as (hostname: string) => string[];
export const resolvePtrSync = syncFunctions.resolvePtrSync as (hostname: string) => string[];
export const resolveSoaSync = syncFunctions.resolveSoaSync as (hostname: string) => dns.SoaRecord;
export const resolveSrvSync = syncFunctions.resolveSrvSync as (hostname: string) => dns.SrvRecord[];
export const resolveTxtSync = syncFunctions.resolveTxtSync as (hostname: string) => string[][];
export const reverseSync = syncFunctions.reverseSync as (ip: string) => string[];

// Whatever this Node has beyond the names above.
for (const [name, fn] of Object.entries({ ...greenFunctions, ...syncFunctions })) {
  if (!Object.prototype.hasOwnProperty.call(exports, name)) {
    Object.defineProperty(exports, name, { value: fn, enumerable: true, writable: true, configurable: true });
  }
}

/** The methods of `dns.Resolver.prototype` that take a callback. */
export const resolverMethodNames: readonly string[] = Object.getOwnPropertyNames(dns.Resolver.prototype).filter(
  (key) => key !== 'constructor' && /^(resolve\w*|reverse)$/.test(key),
);

/**
 * Green versions of `dns.Resolver.prototype`'s methods, made from the
 * originals the patcher hands over.
 */
export function greenResolverMethod(name: string, original: Function): Function {
  return greenMethod(name, original);
}

/** A `dns.Resolver` whose methods, called without a callback inside a green thread, return their result. */
export class Resolver extends dns.Resolver {}
for (const name of resolverMethodNames) {
  Object.defineProperty(Resolver.prototype, name, {
    value: greenMethod(name, (dns.Resolver.prototype as any)[name]),
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

// Everything else of node:dns, last: names defined above (including the
// green functions of newer Node versions, set by the loop) are kept.
export * from 'node:dns';

// The names of node:dns (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.ADDRCONFIG = exports.ADDRGETNETWORKPARAMS = exports.ALL = exports.BADFAMILY = exports.BADFLAGS = exports.BADHINTS = exports.BADNAME = exports.BADQUERY = exports.BADRESP = exports.BADSTR = exports.CANCELLED = exports.CONNREFUSED = exports.DESTRUCTION = exports.EOF = exports.FILE = exports.FORMERR = exports.LOADIPHLPAPI = exports.NODATA = exports.NOMEM = exports.NONAME = exports.NOTFOUND = exports.NOTIMP = exports.NOTINITIALIZED = exports.REFUSED = exports.SERVFAIL = exports.TIMEOUT = exports.V4MAPPED = exports.getDefaultResultOrder = exports.getServers = exports.promises = exports.setDefaultResultOrder = exports.setServers = exports.resolveTlsa = exports.resolveTlsaSync = undefined;
}
