// The `router-params` patch (the `router` package 2.x, express 5's router):
// `router.param()` / `app.param()` callbacks, which the router calls from
// `next()`, run in a green thread of their own when called outside one (see
// ../integrations/express.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/express.js') => require('../integrations/express.js');

export const definition: PatchDefinition = {
  name: 'router-params',
  module: 'router',
  versions: '>=2 <3',
  members: [{ path: 'prototype', methods: { param: (original) => green().greenParamMethod(original, true) } }],
};
