// importPatched() under greenpatch/register, for CommonJS and ESM entries.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

function run(flag, file) {
  return spawnSync(process.execPath, [flag, 'greenpatch/register', `fixtures/${file}`], {
    cwd: here,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('with --require greenpatch/register (CommonJS entry)', (t) => {
  const r = run('--require', 'register-user.cjs');
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
  // Under register every builtin is already green in place; the modules
  // option only narrows what importPatched itself substitutes.
  t.deepEqual(JSON.parse(r.stdout), { dns: true, net: true, esmNet: true });
});

test('with --import greenpatch/register (ESM entry)', (t) => {
  const r = run('--import', 'register-user.mjs');
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
  t.deepEqual(JSON.parse(r.stdout), { dns: true, net: true, esmNet: true });
});
