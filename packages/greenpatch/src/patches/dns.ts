// The `dns` patch: adds the `*Sync` family (see green/dns.ts) to `dns` and
// to `dns.Resolver.prototype`. Node's own functions stay as they are.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/dns.js') => require('../green/dns.js');

export const definition: PatchDefinition = {
  name: 'dns',
  module: 'dns',
  exports: () => ({ ...green().syncFunctions }),
  members: () => [
    {
      path: 'Resolver.prototype',
      methods: Object.fromEntries(Object.entries(green().resolverSyncMethods).map(([name, method]) => [name, () => method])),
    },
  ],
};
