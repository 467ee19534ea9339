// ws: a `WebSocketServer`'s 'connection' listeners and each `WebSocket`'s
// 'message' listeners run each in a green thread of their own, as net's
// 'connection' listeners do (`ws/lib/websocket-server.js` and
// `ws/lib/websocket.js`, `prototype.emit`). Listeners that never block
// behave exactly as before; one that blocks lets the next message (or
// connection) be handled meanwhile, in its own thread.
import { greenEmit, type Emit } from '../green/internal/listeners.js';

const connectionEvents: ReadonlySet<string | symbol> = new Set(['connection']);
const messageEvents: ReadonlySet<string | symbol> = new Set(['message']);

/** The `emit` of `WebSocketServer.prototype`, given the one it replaces. */
export function greenWebSocketServerEmit(original: Emit): Emit {
  return greenEmit(connectionEvents, () => original);
}

/** The `emit` of `WebSocket.prototype`, given the one it replaces. */
export function greenWebSocketEmit(original: Emit): Emit {
  return greenEmit(messageEvents, () => original);
}
