// The `socket.io` patch (socket.io 4): 'connection' listeners and each
// socket's event handlers run in green threads of their own (see
// ../integrations/socket-io.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/socket-io.js') => require('../integrations/socket-io.js');

export const definition: PatchDefinition = {
  name: 'socket.io',
  module: 'socket.io',
  versions: '>=4 <5',
  file: 'dist/typed-events.js',
  members: [
    {
      path: 'StrictEventEmitter.prototype',
      methods: {
        emitReserved: (original) => green().greenSocketIoEmit(original),
        emitUntyped: (original) => green().greenSocketIoEmit(original),
      },
    },
  ],
};
