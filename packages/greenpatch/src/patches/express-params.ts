// The `express-params` patch (express 4): `app.param()` callbacks, which the
// router calls from `next()`, run in a green thread of their own when called
// outside one (see ../integrations/express.ts). express 5: router-params.ts.
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/express.js') => require('../integrations/express.js');

export const definition: PatchDefinition = {
  name: 'express-params',
  module: 'express',
  versions: '>=4 <5',
  file: 'lib/router/index.js',
  members: [{ path: '', methods: { param: (original) => green().greenParamMethod(original, false) } }],
};
