// The `koa` patch (koa 2 and 3): plain middleware added with `app.use()` is
// greenified (see ../integrations/koa.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/koa.js') => require('../integrations/koa.js');

export const definition: PatchDefinition = {
  name: 'koa',
  module: 'koa',
  versions: '>=2 <4',
  file: 'lib/application.js',
  members: [{ path: 'prototype', methods: { use: (original) => green().greenKoaUse(original) } }],
};
