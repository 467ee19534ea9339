// The `synckit` patch: calls of one sync function from several green threads
// take turns, so that their replies never mix (see ../integrations/synckit.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/synckit.js') => require('../integrations/synckit.js');

export const definition: PatchDefinition = {
  name: 'synckit',
  module: 'synckit',
  versions: '>=0.8 <1',
  exports: (target) => ({ createSyncFn: green().greenCreateSyncFn(target.createSyncFn) }),
};
