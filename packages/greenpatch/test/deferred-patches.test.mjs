// What the builtin patches install is light, and loads greenpatch's blocking
// machinery at its first use (green/internal/deferred.ts): on Node 20 an ES
// entry's imports cannot be seen, so the patches are applied before it runs,
// whether the program uses them or not. Each program runs in a child process.
import test from 'ava';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { spawnCountingModules } from './helpers/module-runs.mjs';

const require = createRequire(import.meta.url);
const cwd = fileURLToPath(new URL('fixtures/deferred/', import.meta.url));
const hook = { '--require': require.resolve('greenpatch/register'), '--import': import.meta.resolve('greenpatch/register') };

function run(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, timeout: 30_000 }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

test.beforeEach((t) => t.timeout(40_000));

// The modules that do the work: none runs for a program that uses nothing they add.
const machinery = [
  'green/net.js',
  'green/http.js',
  'green/https.js',
  'green/dns.js',
  'green/dgram.js',
  'green/child_process.js',
  'green/internal/socket.js',
  'green/internal/stream-waiter.js',
  'green/internal/response.js',
  'green/internal/spawn-cooperative.js',
  'green/internal/dgram-socket.js',
];

test('an ES entry importing every patched builtin, using none of the additions, runs none of the machinery', (t) => {
  const { result, modules } = spawnCountingModules(['--import', hook['--import'], 'untouched.mjs'], { cwd });
  t.is(result.stderr, '');
  t.is(result.status, 0);
  const seen = JSON.parse(result.stdout);
  // Patched all the same: every addition is there, named imports of the replaced functions see the replacements.
  t.deepEqual(seen, { heavy: false, added: Array(8).fill('function'), replaced: true, stock: [true, true, true] });
  t.true(modules.includes('green/internal/net-api.js'), modules.join(' '));
  t.deepEqual(
    modules.filter((m) => machinery.includes(m)),
    [],
  );
});

test('named imports taken before the first use behave green: a cooperative execFileSync, blocking net and http servers', async (t) => {
  const r = await run(['--import', hook['--import'], 'used.mjs']);
  t.is(r.stderr, '');
  t.is(r.code, 0);
  t.deepEqual(JSON.parse(r.stdout), {
    heavyBefore: false,
    // The event loop ran while the child did: the cooperative form, loaded by this call.
    execFileSync: ['child', true],
    heavyAfterFirstUse: true,
    echo: 'HELLO',
    http: [200, 'outer+inner'],
  });
});

test('the patched builtins and greenpatch/green/* hold the very same functions', async (t) => {
  const r = await run(['--require', hook['--require'], 'same-values.cjs']);
  t.is(r.stderr, '');
  const same = JSON.parse(r.stdout);
  for (const [what, ok] of Object.entries(same)) t.true(ok, what);
});

test('the stand-ins have the names and lengths of the implementations they load', (t) => {
  const dist = require.resolve('greenpatch/register').replace(/register\.js$/, '');
  const netApi = require(`${dist}green/internal/net-api.js`);
  const dgramApi = require(`${dist}green/internal/dgram-api.js`);
  const socket = require(`${dist}green/internal/socket.js`);
  const dgramSocket = require(`${dist}green/internal/dgram-socket.js`);
  const pairs = [
    ...Object.entries({ ...netApi.socketMethods, ...netApi.serverMethods }).map(([name, stand]) => [stand, socket[name]]),
    ...Object.entries(dgramApi.socketMethods).map(([name, stand]) => [stand, dgramSocket[name]]),
  ];
  t.is(pairs.length, 9);
  for (const [stand, implementation] of pairs) {
    t.is(typeof implementation, 'function');
    t.is(stand.name, implementation.name);
    t.is(stand.length, implementation.length, stand.name);
    t.is(typeof stand.prototype, typeof implementation.prototype, stand.name);
  }
});

test('getOriginal and unpatch, before the first use, give back exactly what was there, named imports included', async (t) => {
  const r = await run(['--import', hook['--import'], 'unpatch.mjs']);
  t.is(r.stderr, '');
  t.deepEqual(JSON.parse(r.stdout), {
    patched: [true, true, true, 'execFileSync', 'function'],
    originalEmit: true,
    ownEmit: true,
    after: [false, false, true, true, false, false, 'function'],
  });
});
