// Every JavaScript example in the hub API part of the README runs, prints
// nothing on stderr, and prints what its `// → ...` comments say, in order.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const part = readme.slice(readme.indexOf('<!-- hub-api:start -->'), readme.indexOf('<!-- hub-api:end -->'));
const examples = [...part.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has hub API examples', (t) => {
  t.true(examples.length >= 8);
});

examples.forEach((code, i) => {
  const heading = part.slice(0, part.indexOf(code)).match(/^#+ (.*)$/gm)?.pop() ?? '';
  test(`README example ${i + 1} (${heading.replace(/^#+ /, '')}) prints what it says`, (t) => {
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
