// Which stack frames are greenpatch's own (its package and the fiber
// engine's), for the stacks it shows users: their code, not its layers.
import { dirname, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const places = [__dirname + sep, pathToFileURL(__dirname).href + '/'];
try {
  const fibers = dirname(require.resolve('@greenpatch/fibers')) + sep;
  places.push(fibers, pathToFileURL(fibers).href);
} catch {
  // resolved from a bundle or an unusual layout: its frames count as the user's
}

/** @internal True when `text` (a formatted frame, or a file name or URL) is inside greenpatch. */
export function isInternalFrame(text: string): boolean {
  for (const place of places) if (text.includes(place)) return true;
  return false;
}
