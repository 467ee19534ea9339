// The `express` patch (express 4): every middleware, handler and error
// handler is called by the router's Layer; one called outside a green thread
// runs in one of its own (see ../integrations/express.ts). express 5 has its
// router in the `router` package: see router.ts.
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/express.js') => require('../integrations/express.js');

export const definition: PatchDefinition = {
  name: 'express',
  module: 'express',
  versions: '>=4 <5',
  file: 'lib/router/layer.js',
  members: [
    {
      path: 'prototype',
      methods: {
        handle_request: (original) => green().greenLayerMethod(original),
        handle_error: (original) => green().greenLayerMethod(original),
      },
    },
  ],
};
