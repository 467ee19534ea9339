// The `ws-socket` patch: each ws WebSocket's 'message' listeners run in green
// threads of their own, server side and client side (see
// ../integrations/ws.ts).
import type { PatchDefinition } from './types.js';

const green = (): typeof import('../integrations/ws.js') => require('../integrations/ws.js');

export const definition: PatchDefinition = {
  name: 'ws-socket',
  module: 'ws',
  versions: '>=8 <9',
  file: 'lib/websocket.js',
  members: [{ path: 'prototype', methods: { emit: (original) => green().greenWebSocketEmit(original) } }],
};
