// greenpatch/green/dns: Node's `dns`, with a `*Sync` family added
// (`lookupSync`, `lookupServiceSync`, `resolveSync`, `resolve4Sync`, ...,
// `reverseSync`): each calls the callback-only function of the same name and
// blocks the calling green thread until its answer, returning what
// `dns.promises` would resolve to (throwing ERR_GREENPATCH_BLOCKING_ON_HUB
// outside a green thread). Node's own functions keep Node's contract: called
// without a callback, anywhere, `dns.lookup(name)` throws
// ERR_INVALID_ARG_TYPE and sends nothing. A `Resolver` has the same `*Sync`
// methods.
import dns = require('node:dns');
import type { LookupAddress, LookupOptions } from 'node:dns';

import { dnsSyncApi } from './internal/dns-sync.js';

/** The `*Sync` functions and methods, shared with the `dns` patch (internal/dns-sync.ts). */
const api = dnsSyncApi();

/** The callback-only functions of this Node's `dns` (the family grows with Node's versions). */
export const callbackFunctionNames: readonly string[] = api.callbackFunctionNames;

/** The added `*Sync` functions, by name (`lookupSync`, ...): what the `dns` patch adds. */
export const syncFunctions: Record<string, Function> = api.syncFunctions;

type Records = any;

// Named exports, written out so that ESM `import { lookupSync } from
// 'greenpatch/green/dns'` sees them. Names newer Node versions add are on the
// module object too (set below), reached through the default export.

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
for (const [name, fn] of Object.entries(syncFunctions)) {
  if (!Object.prototype.hasOwnProperty.call(exports, name)) {
    Object.defineProperty(exports, name, { value: fn, enumerable: true, writable: true, configurable: true });
  }
}

/** The methods of `dns.Resolver.prototype` that take a callback. */
export const resolverMethodNames: readonly string[] = api.resolverMethodNames;

/**
 * The `*Sync` methods for `dns.Resolver.prototype`, by name
 * (`resolve4Sync`, ...): each calls the instance's callback method of the
 * same name and blocks the green thread for its answer.
 */
export const resolverSyncMethods: Record<string, Function> = api.resolverSyncMethods;

/** Node's `dns.Resolver` with the `*Sync` methods (`resolver.resolve4Sync(host)`, ...), also when dns is not patched. */
export class Resolver extends dns.Resolver {}
for (const [name, method] of Object.entries(resolverSyncMethods)) {
  Object.defineProperty(Resolver.prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
}

// Everything else of node:dns, last: names defined above (including the
// green functions of newer Node versions, set by the loop) are kept.
export * from 'node:dns';

// The names of node:dns (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.lookup = exports.lookupService = exports.resolve = exports.resolve4 = exports.resolve6 = exports.resolveAny = exports.resolveCaa = exports.resolveCname = exports.resolveMx = exports.resolveNaptr = exports.resolveNs = exports.resolvePtr = exports.resolveSoa = exports.resolveSrv = exports.resolveTxt = exports.reverse = exports.ADDRCONFIG = exports.ADDRGETNETWORKPARAMS = exports.ALL = exports.BADFAMILY = exports.BADFLAGS = exports.BADHINTS = exports.BADNAME = exports.BADQUERY = exports.BADRESP = exports.BADSTR = exports.CANCELLED = exports.CONNREFUSED = exports.DESTRUCTION = exports.EOF = exports.FILE = exports.FORMERR = exports.LOADIPHLPAPI = exports.NODATA = exports.NOMEM = exports.NONAME = exports.NOTFOUND = exports.NOTIMP = exports.NOTINITIALIZED = exports.REFUSED = exports.SERVFAIL = exports.TIMEOUT = exports.V4MAPPED = exports.getDefaultResultOrder = exports.getServers = exports.promises = exports.setDefaultResultOrder = exports.setServers = exports.resolveTlsa = exports.resolveTlsaSync = undefined;
}
