// The `dns` patch: adds the `*Sync` family (see green/dns.ts) to `dns` and
// to `dns.Resolver.prototype`. Node's own functions stay as they are.
import dns = require('node:dns');

import type { PatchDefinition } from '../patcher.js';
import { resolverSyncMethods, syncFunctions } from '../green/dns.js';

export const definition: PatchDefinition = {
  name: 'dns',
  module: 'dns',
  target: () => dns,
  exports: () => ({ ...syncFunctions }),
  members: [
    {
      path: 'Resolver.prototype',
      methods: Object.fromEntries(Object.entries(resolverSyncMethods).map(([name, method]) => [name, () => method])),
    },
  ],
};
