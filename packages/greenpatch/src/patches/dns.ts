// The `dns` patch: adds the `*Sync` family (see green/dns.ts) to `dns` and
// to `dns.Resolver.prototype`, the same functions greenpatch/green/dns
// exports, from green/internal/dns-sync.ts (light to apply: the cooperative
// machinery loads at the first call). Node's own functions stay as they are.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read (from
// dist/runtime-patches.js: package.json's `bundle` names it).
const green = (): typeof import('../green/internal/dns-sync.js') => require('../green/internal/dns-sync.js');

export const definition: PatchDefinition = {
  name: 'dns',
  module: 'dns',
  exports: () => ({ ...green().dnsSyncApi().syncFunctions }),
  members: () => [
    {
      path: 'Resolver.prototype',
      methods: Object.fromEntries(Object.entries(green().dnsSyncApi().resolverSyncMethods).map(([name, method]) => [name, () => method])),
    },
  ],
};
