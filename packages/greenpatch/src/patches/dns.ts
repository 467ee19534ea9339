// The `dns` patch: the callback-only functions become their green versions
// (Node's own with a callback or outside a green thread; without one inside a
// green thread, they return the result), the `*Sync` family is added, and
// `dns.Resolver`'s methods get the same treatment.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/dns.js') => require('../green/dns.js');

export const definition: PatchDefinition = {
  name: 'dns',
  module: 'dns',
  // setServers too: Node re-binds the resolve functions when it is called.
  exports: () => {
    const { greenFunctions, syncFunctions, setServers } = green();
    return { ...greenFunctions, ...syncFunctions, setServers };
  },
  members: () => {
    const { greenResolverMethod, resolverMethodNames } = green();
    return [
      {
        path: 'Resolver.prototype',
        methods: Object.fromEntries(
          resolverMethodNames.map((name) => [name, (original: Function) => greenResolverMethod(name, original)]),
        ),
      },
    ];
  },
  reverted: () => green().restoreOriginals(),
};
