// The types greenpatch ships: a typed app that calls what the patches add to
// Node's builtins (http.getSync, dns.lookupSync, socket.recv...), imported the
// ordinary way, type-checks under strict with module nodenext; a misspelt
// addition does not (so the check is real).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const appDir = fileURLToPath(new URL('./fixtures/typed-app/', import.meta.url));

function typeCheck(args) {
  return spawnSync(process.execPath, [tsc, ...args], { cwd: appDir, encoding: 'utf8', timeout: 60_000 });
}

test('a strict nodenext app using the builtins greenpatch extends type-checks', (t) => {
  t.timeout(70_000);
  const r = typeCheck(['-p', 'tsconfig.json']);
  t.is(r.stdout + r.stderr, '');
  t.is(r.status, 0);
});

test('a call greenpatch does not add is a type error', (t) => {
  t.timeout(70_000);
  const r = typeCheck(['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', 'broken.mts']);
  t.is(r.status, 2);
  t.regex(r.stdout, /Property 'getSyncc' does not exist/);
});
