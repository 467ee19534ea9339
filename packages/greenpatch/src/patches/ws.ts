// The `ws` patch: a WebSocketServer's 'connection' listeners run in green
// threads of their own (see ../integrations/ws.ts); ws-socket.ts does the
// same for each WebSocket's 'message' listeners. The classes live in files
// of their own, which the package's entry (CommonJS or its ESM wrapper)
// require()s.
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/ws.js') => require('../integrations/ws.js');

export const definition: PatchDefinition = {
  name: 'ws',
  module: 'ws',
  versions: '>=8 <9',
  file: 'lib/websocket-server.js',
  members: [{ path: 'prototype', methods: { emit: (original) => green().greenWebSocketServerEmit(original) } }],
};
