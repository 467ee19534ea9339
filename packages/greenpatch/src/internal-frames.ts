// Which stack frames are greenpatch's own (its package, the fiber engine's,
// its module hooks'), for the stacks it shows users: their code, not its layers.
import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

let places: string[] | undefined;

/** Where greenpatch's files are; found when first asked (resolving packages costs start-up time). */
function findPlaces(): string[] {
  const found: string[] = [];
  // dist/, and src/ where source maps (--enable-source-maps) name the frames.
  for (const dir of [__dirname, join(__dirname, '..', 'src')]) found.push(dir + sep, pathToFileURL(dir).href + '/');
  // The fiber engine, and the module hooks the patcher installs (their frames
  // show in every require() once npm entries of the patch table are armed).
  for (const name of ['@greenpatch/fibers', 'require-in-the-middle', 'import-in-the-middle']) {
    try {
      const dir = dirname(require.resolve(name));
      found.push(dir + sep, pathToFileURL(dir).href + '/');
      // the fiber engine's sources, for source-mapped frames
      if (name === '@greenpatch/fibers') found.push(join(dir, '..', 'src') + sep);
    } catch {
      // resolved from a bundle or an unusual layout: its frames count as the user's
    }
  }
  return found;
}

/** @internal The paths and file URLs (each ending in a separator) of greenpatch's own code. */
export function internalPlaces(): readonly string[] {
  places ??= findPlaces();
  return places;
}

/** @internal True when `text` (a formatted frame, or a file name or URL) is inside greenpatch. */
export function isInternalFrame(text: string): boolean {
  for (const place of internalPlaces()) if (text.includes(place)) return true;
  return false;
}

/**
 * @internal Runs `fn` with Error.stackTraceLimit raised by `room` frames, for
 * stacks captured inside it that will have greenpatch's own frames filtered
 * out (so that as many of the program's remain as its limit asks), then puts
 * the limit back: the program never sees the change. A limit that is not a
 * number, or cannot be set (a frozen Error), is left as it is.
 */
export function withStackRoom<R>(room: number, fn: () => R): R {
  const limit = Error.stackTraceLimit;
  let raised = false;
  if (typeof limit === 'number' && limit > 0) {
    try {
      Error.stackTraceLimit = limit + room;
      raised = true;
    } catch {
      // a frozen Error: capture with the limit as it is
    }
  }
  try {
    return fn();
  } finally {
    if (raised) Error.stackTraceLimit = limit;
  }
}

/** @internal Error.captureStackTrace(holder, above) inside {@link withStackRoom}. */
export function captureWithRoom(holder: { stack?: unknown }, above: Function, room = 50): void {
  withStackRoom(room, () => Error.captureStackTrace(holder, above));
}
