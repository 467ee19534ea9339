// socket.io 4: the server's 'connection' listeners, each socket's event
// handlers (and its 'disconnect' listeners) run in green threads of their
// own, as net's 'connection' listeners do. socket.io emits them all through
// two methods of its `StrictEventEmitter` (`dist/typed-events.js`):
// `emitReserved` for its own events and `emitUntyped` for a client's events
// (its sockets' `emit` sends to the client instead).
import { greenEmit, type Emit } from '../green/internal/listeners.js';

/** Every event: greenEmit asks only `has`. */
const everyEvent = { has: (): boolean => true } as unknown as ReadonlySet<string | symbol>;

/** `emitReserved` or `emitUntyped` of socket.io's StrictEventEmitter, given the one it replaces. */
export function greenSocketIoEmit(original: Emit): Emit {
  return greenEmit(everyEvent, () => original);
}
