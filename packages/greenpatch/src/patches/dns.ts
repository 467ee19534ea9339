// The `dns` patch: the callback-only functions become their green versions
// (Node's own with a callback or outside a green thread; without one inside a
// green thread, they return the result), the `*Sync` family is added, and
// `dns.Resolver`'s methods get the same treatment.
import dns = require('node:dns');

import type { PatchDefinition } from '../patcher.js';
import { greenFunctions, greenResolverMethod, resolverMethodNames, restoreOriginals, setServers, syncFunctions } from '../green/dns.js';

export const definition: PatchDefinition = {
  name: 'dns',
  module: 'dns',
  target: () => dns,
  // setServers too: Node re-binds the resolve functions when it is called.
  exports: () => ({ ...greenFunctions, ...syncFunctions, setServers }),
  members: [
    {
      path: 'Resolver.prototype',
      methods: Object.fromEntries(
        resolverMethodNames.map((name) => [name, (original: Function) => greenResolverMethod(name, original)]),
      ),
    },
  ],
  reverted: () => restoreOriginals(),
};
