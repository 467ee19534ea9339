// Which stack frames are greenpatch's own (its package, the fiber engine's,
// its module hooks'), for the stacks it shows users: their code, not its layers.
import { dirname, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const places = [__dirname + sep, pathToFileURL(__dirname).href + '/'];
// The fiber engine, and the module hooks the patcher installs (their frames
// show in every require() once npm entries of the patch table are armed).
for (const name of ['@greenpatch/fibers', 'require-in-the-middle', 'import-in-the-middle']) {
  try {
    const dir = dirname(require.resolve(name)) + sep;
    places.push(dir, pathToFileURL(dir).href);
  } catch {
    // resolved from a bundle or an unusual layout: its frames count as the user's
  }
}

/** @internal True when `text` (a formatted frame, or a file name or URL) is inside greenpatch. */
export function isInternalFrame(text: string): boolean {
  for (const place of places) if (text.includes(place)) return true;
  return false;
}
