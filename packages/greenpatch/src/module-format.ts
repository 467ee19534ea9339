// Whether Node loads a file as CommonJS or as an ES module, by the rules
// of its loader: the extension (.mjs/.mts ESM, .cjs/.cts CommonJS), else,
// for .js and .ts, the "type" of the nearest package.json. Used by the
// register hook for the entry and by importPatched for what it loads.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { codedError } from './errors.js';

/** The format Node's loader gives `filename` (an absolute path): `'module'` or `'commonjs'`. */
export function moduleFormat(filename: string): 'commonjs' | 'module' {
  if (typeof filename !== 'string' || filename === '') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "filename" argument must be a non-empty string', TypeError);
  }
  if (/\.m[jt]s$/.test(filename)) return 'module';
  if (!/\.[jt]s$/.test(filename)) return 'commonjs';
  for (let dir = dirname(filename); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type === 'module' ? 'module' : 'commonjs';
      } catch {
        return 'commonjs';
      }
    }
    if (dirname(dir) === dir) return 'commonjs';
  }
}
