// The `dgram` patch: 'message' listeners of every `dgram.Socket` run each in
// a green thread (through `dgram.Socket.prototype.emit`), as net servers'
// 'connection' listeners do. Applying it also puts the blocking socket methods
// (`recvfrom`, `sendSync`, and `bindSync`/`connectSync` before Node 24) on the
// prototype, as loading greenpatch/green/dgram does, for good. What it
// installs is light (green/internal/dgram-api.ts): the blocking machinery
// loads at the first blocking call.
//
// On by default, like `net`: a listener that never blocks runs to its end
// inside `emit`, with the same `this`, arguments, order and exceptions, in the
// emitter's async context, so code written for stock Node sees stock
// behaviour; only a listener that blocks (which stock Node cannot have)
// behaves differently, and that is what patching asks for. The price is one
// fiber switch in and out per datagram that has listeners (see
// bench/udp.bench.mjs); `GREENPATCH_PATCH` or `patchAll({ dgram: false })`
// leaves it out.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read (from
// dist/runtime-patches.js: package.json's `bundle` names it).
const green = (): typeof import('../green/internal/dgram-api.js') => require('../green/internal/dgram-api.js');

export const definition: PatchDefinition = {
  name: 'dgram',
  module: 'dgram',
  exports: (dgram) => {
    green().installBlockingMethods(dgram);
    return {};
  },
  members: [{ path: 'Socket.prototype', methods: { emit: (original) => green().makeSocketEmit(original) } }],
};
