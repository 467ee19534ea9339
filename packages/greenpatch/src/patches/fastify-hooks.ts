// The `fastify-hooks` patch (fastify 4 and 5): `lib/hooks.js`'s `add`, so that
// route handlers, hooks and error handlers fastify calls outside a green
// thread run in one of their own (see ../integrations/fastify.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/fastify.js') => require('../integrations/fastify.js');

export const definition: PatchDefinition = {
  name: 'fastify-hooks',
  module: 'fastify',
  versions: '>=4 <6',
  file: 'lib/hooks.js',
  members: [{ path: 'Hooks.prototype', methods: { add: (original) => green().greenHooksAdd(original) } }],
};
