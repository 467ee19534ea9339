// The `Atomics` patch: the global `Atomics.wait` made cooperative (see
// green/atomics.ts): inside a green thread it blocks only that thread, so the
// `Atomics.wait(ia, 0, 0, ms)` sleep idiom sleeps only that thread.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/atomics.js') => require('../green/atomics.js');

export const definition: PatchDefinition = {
  name: 'Atomics',
  target: () => globalThis.Atomics,
  exports: () => ({ wait: green().wait }),
};
