// The `fastify-errors` patch (fastify 4 and 5): `lib/error-handler.js`'s `buildErrorHandler`, so that
// route handlers, hooks and error handlers fastify calls outside a green
// thread run in one of their own (see ../integrations/fastify.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/fastify.js') => require('../integrations/fastify.js');

export const definition: PatchDefinition = {
  name: 'fastify-errors',
  module: 'fastify',
  versions: '>=4 <6',
  file: 'lib/error-handler.js',
  members: [{ path: '', methods: { buildErrorHandler: (original) => green().greenBuildErrorHandler(original) } }],
};
