// The `deasync` patch: inside a green thread deasync's calls block only that
// thread (see ../integrations/deasync.ts). `deasync(fn)` and `sleep` go
// through the module's own `loopWhile` export, so the two members below
// cover every call.
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/deasync.js') => require('../integrations/deasync.js');

export const definition: PatchDefinition = {
  name: 'deasync',
  module: 'deasync',
  versions: '>=0.1.20 <0.2',
  members: [
    {
      path: '',
      methods: {
        loopWhile: (original) => green().greenLoopWhile(original),
        runLoopOnce: (original) => green().greenRunLoopOnce(original),
      },
    },
  ],
};
