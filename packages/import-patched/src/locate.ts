// Where a specifier leads, and whether that file is CommonJS or ESM.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callerFile } from './caller';
import { codedError } from './errors';

const requireHere = createRequire(__filename);

export interface Located {
  filename: string;
  format: 'commonjs' | 'module';
}

/**
 * Resolves `specifier` the way `require.resolve()` in `parent` would
 * (`parent`: a file path or file: URL; default the caller's file). Throws
 * Node's MODULE_NOT_FOUND naming the specifier when it does not resolve.
 */
export function locate(specifier: string, parent: string | URL | undefined): Located {
  if (typeof specifier !== 'string' || specifier === '') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "specifier" argument must be a non-empty string', TypeError);
  }
  let from: string;
  if (parent === undefined) {
    from = callerFile() ?? join(process.cwd(), '[importPatched]');
  } else if (parent instanceof URL || (typeof parent === 'string' && parent.startsWith('file:'))) {
    from = fileURLToPath(parent);
  } else if (typeof parent === 'string') {
    from = parent;
  } else {
    throw codedError('ERR_INVALID_ARG_TYPE', 'options.parent must be a path or a file: URL', TypeError);
  }
  const filename = createRequire(from).resolve(specifier);
  if (!filename.startsWith('/')) {
    throw codedError('ERR_INVALID_ARG_VALUE', `${specifier} is a builtin module; import greenpatch/green/${filename} instead`);
  }
  return { filename, format: formatOf(filename) };
}

/** Node's format for `filename`, by the same rules as greenpatch/register uses for the entry. */
function formatOf(filename: string): 'commonjs' | 'module' {
  return (requireHere('greenpatch') as typeof import('greenpatch')).moduleFormat(filename);
}
