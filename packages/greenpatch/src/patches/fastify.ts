// The `fastify` patch (fastify 4 and 5): `lib/route.js`'s `buildRouting`, so that
// route handlers, hooks and error handlers fastify calls outside a green
// thread run in one of their own (see ../integrations/fastify.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/fastify.js') => require('../integrations/fastify.js');

export const definition: PatchDefinition = {
  name: 'fastify',
  module: 'fastify',
  versions: '>=4 <6',
  file: 'lib/route.js',
  members: [{ path: '', methods: { buildRouting: (original) => green().greenBuildRouting(original) } }],
};
