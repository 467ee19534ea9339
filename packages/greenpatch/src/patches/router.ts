// The `router` patch: express 5's router (the `router` package, 2.x, also
// used on its own): a middleware, handler or error handler called outside a
// green thread runs in one of its own (see ../integrations/express.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/express.js') => require('../integrations/express.js');

export const definition: PatchDefinition = {
  name: 'router',
  module: 'router',
  versions: '>=2 <3',
  file: 'lib/layer.js',
  members: [
    {
      path: 'prototype',
      methods: {
        handleRequest: (original) => green().greenLayerMethod(original),
        handleError: (original) => green().greenLayerMethod(original),
      },
    },
  ],
};
