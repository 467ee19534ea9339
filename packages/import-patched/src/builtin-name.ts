// The builtin a specifier names. Its own module: the loader hooks (which may
// run on Node's hooks thread) need it without the rest of importPatched.
import { builtinModules } from 'node:module';

/**
 * The builtin a specifier names, without `node:` ('fs/promises' stays as it
 * is), or undefined when it is not a builtin.
 */
export function builtinName(specifier: string): string | undefined {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  return builtinModules.includes(bare) ? bare : undefined;
}
