// The `*Sync` family of dns (see green/dns.ts): what the `dns` patch adds to
// `dns` and `dns.Resolver.prototype`, and what greenpatch/green/dns exports,
// the very same functions. Light to apply: what it imports runs at start-up
// for the fs patch anyway, and it loads no builtin until asked for the
// functions (the patch asks once dns is loaded), so that applying the patch
// before an ES entry on Node 20 costs little.
import type * as dnsTypes from 'node:dns';

import { cooperate, FALLBACK } from './cooperative.js';
import { lazily } from './deferred.js';
import { likeOriginal } from './like-original.js';
import { requireTask } from './runtime.js';

/** Callback results with more than one value, named as `dns.promises` names them. */
const shapes: Record<string, readonly string[]> = {
  lookup: ['address', 'family'],
  lookupService: ['hostname', 'service'],
};

/**
 * Calls `fn` (a callback-only function of `dns` or a `Resolver`) with `args`
 * and a callback, and blocks the green thread for the answer. Node's
 * validation runs before the query is sent; what it throws is thrown here.
 */
function callSync(fn: Function, thisArg: unknown, args: unknown[], name: string): any {
  const what = `dns.${name}Sync()`;
  requireTask(what);
  let refused: { error: unknown } | undefined;
  const result = cooperate<any>(what, (done) => {
    try {
      Reflect.apply(fn, thisArg, [
        ...args,
        (error: unknown, ...results: unknown[]) => {
          if (error) return done(error);
          const shape = shapes[name];
          if (shape !== undefined && results.length > 1) {
            const value: Record<string, unknown> = {};
            shape.forEach((key, i) => (value[key] = results[i]));
            return done(null, value);
          }
          done(null, results[0]);
        },
      ]);
    } catch (error) {
      refused = { error };
      throw error;
    }
    // A DNS query in flight cannot be taken back: if the green thread is
    // interrupted, its answer is dropped.
  });
  if (result === FALLBACK) throw refused!.error;
  return result;
}

/** The `*Sync` functions and methods of this Node's dns. */
export interface DnsSyncApi {
  /** The callback-only functions of this Node's `dns` (the family grows with Node's versions). */
  readonly callbackFunctionNames: readonly string[];
  /** The added `*Sync` functions, by name (`lookupSync`, ...): what the `dns` patch adds. */
  readonly syncFunctions: Record<string, Function>;
  /** The methods of `dns.Resolver.prototype` that take a callback. */
  readonly resolverMethodNames: readonly string[];
  /**
   * The `*Sync` methods for `dns.Resolver.prototype`, by name
   * (`resolve4Sync`, ...): each calls the instance's callback method of the
   * same name and blocks the green thread for its answer.
   */
  readonly resolverSyncMethods: Record<string, Function>;
}

/** Made at the first call (loading dns), then the same. */
export const dnsSyncApi = lazily((): DnsSyncApi => {
  const dns = require('node:dns') as typeof dnsTypes;
  // The name first: reading `dns.promises`, a getter, would load Node's
  // dns/promises (about 1 ms of start-up, which stock Node spends only
  // when the program asks for it).
  const callbackFunctionNames: readonly string[] = Object.keys(dns).filter(
    (key) => /^(lookup|lookupService|resolve\w*|reverse)$/.test(key) && typeof (dns as any)[key] === 'function',
  );

  const syncFunctions: Record<string, Function> = {};
  for (const name of callbackFunctionNames) {
    // The module's current function at each call: Node re-binds the resolve
    // functions on `dns.setServers`.
    syncFunctions[`${name}Sync`] = likeOriginal(
      function (this: unknown, ...args: unknown[]) {
        return callSync((dns as any)[name], dns, args, name);
      },
      (dns as any)[name],
      `${name}Sync`,
    );
  }

  const resolverMethodNames: readonly string[] = Object.getOwnPropertyNames(dns.Resolver.prototype).filter(
    (key) => key !== 'constructor' && /^(resolve\w*|reverse)$/.test(key),
  );

  const resolverSyncMethods: Record<string, Function> = {};
  for (const name of resolverMethodNames) {
    const original = (dns.Resolver.prototype as any)[name] as Function;
    resolverSyncMethods[`${name}Sync`] = likeOriginal(
      function (this: any, ...args: unknown[]) {
        return callSync(this?.[name] ?? original, this, args, name);
      },
      original,
      `${name}Sync`,
    );
  }
  return { callbackFunctionNames, syncFunctions, resolverMethodNames, resolverSyncMethods };
});
