// Every JavaScript example in the hub API part of the API reference
// (docs/api.md at the repository root, between the hub-api markers) runs,
// prints nothing on stderr, and prints what its `// → ...` comments say, in
// order. The examples run from this package's folder, where `greenpatch`
// resolves to the package itself.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
const part = readme.slice(readme.indexOf('<!-- hub-api:start -->'), readme.indexOf('<!-- hub-api:end -->'));
const examples = [...part.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test('docs/api.md has hub API examples', (t) => {
  t.true(examples.length >= 8);
});

examples.forEach((code, i) => {
  const heading = part.slice(0, part.indexOf(code)).match(/^#+ (.*)$/gm)?.pop() ?? '';
  test(`docs/api.md example ${i + 1} (${heading.replace(/^#+ /, '')}) prints what it says`, (t) => {
    const expected = [...code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1].trim());
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: packageDir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    t.is(r.stderr, '');
    t.is(r.status, 0);
    t.deepEqual(r.stdout.trim().split('\n'), expected);
  });
});
