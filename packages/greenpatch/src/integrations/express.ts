// express 4 and 5: every middleware, handler and error handler is called by
// the router's Layer (express 4: `express/lib/router/layer.js`, methods
// `handle_request` and `handle_error`; express 5: the `router` package's
// `lib/layer.js`, `handleRequest` and `handleError`). A Layer method called
// outside a green thread (by `next()` from a body parser's stream callback,
// a timer, a promise reaction) runs in a green thread of its own; inside
// one it is called as it is. The method itself runs in the thread, so the
// router's own try/catch still sees what the handler throws, after blocking
// too, and passes it to `next(err)` as for a synchronous throw; `next()`,
// error middleware and the order of everything are express's own.
import { inGreenThread } from '../hub.js';
import { runGreen } from '../green/internal/runtime.js';

/** The Layer methods wrapped, by express major: file inside the package, method names. */
export const expressLayerMethods = {
  4: { module: 'express', file: 'lib/router/layer.js', methods: ['handle_request', 'handle_error'] },
  5: { module: 'router', file: 'lib/layer.js', methods: ['handleRequest', 'handleError'] },
} as const;

/** The replacement of a Layer method `original` (see above). */
export function greenLayerMethod(original: Function): Function {
  return function greenLayer(this: unknown): unknown {
    if (inGreenThread()) return Reflect.apply(original, this, arguments);
    // The Layer methods return nothing that the router reads.
    runGreen(original, this, Array.prototype.slice.call(arguments));
    return undefined;
  };
}
