// Which builtins have green versions, and where they come from: greenpatch
// publishes each as the subpath export `greenpatch/green/<name>`, a superset
// of the builtin module.
import { builtinModules, createRequire } from 'node:module';

const requireHere = createRequire(__filename);

let available: string[] | undefined;

/** The builtins for which this greenpatch has a green module. */
export function greenModuleNames(): string[] {
  if (available === undefined) {
    // The builtins in greenpatch's patch table (in its order) that it
    // publishes a green module for.
    const { patchNames } = requireHere('greenpatch') as { patchNames(): string[] };
    available = patchNames().filter((name) => {
      if (!builtinModules.includes(name)) return false;
      try {
        requireHere.resolve(`greenpatch/green/${name}`);
        return true;
      } catch {
        return false;
      }
    });
  }
  return available;
}

/** The green version of builtin `name`. */
export function loadGreenModule(name: string): object {
  return requireHere(`greenpatch/green/${name}`) as object;
}
