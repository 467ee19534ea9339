// moduleFormat(): the one rule the register hook and importPatched use for
// whether Node loads a file as CommonJS or ESM.
import test from 'ava';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleFormat } from 'greenpatch';

test('extensions decide, then the nearest package.json type for .js and .ts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-format-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'esm', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{}');
  writeFileSync(join(dir, 'esm', 'package.json'), '{"type":"module"}');
  const cases = {
    'a.mjs': 'module',
    'a.mts': 'module',
    'a.cjs': 'commonjs',
    'a.cts': 'commonjs',
    'a.js': 'commonjs',
    'a.ts': 'commonjs',
    'a.node': 'commonjs',
    'esm/sub/a.js': 'module',
    'esm/sub/a.ts': 'module',
    'esm/a.cjs': 'commonjs',
    'esm/a.cts': 'commonjs',
  };
  for (const [file, format] of Object.entries(cases)) t.is(moduleFormat(join(dir, file)), format, file);
});
