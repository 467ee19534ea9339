// Which switch path the native backend uses (docs/engine-direct-switch.md):
// the direct one by default wherever its load checks pass, the Locker path
// when GREENPATCH_SWITCH=locker or a check fails, an error when
// GREENPATCH_SWITCH=direct cannot be honoured or names no path. Each case in
// a child process, since a thread picks its path once.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require.resolve('@greenpatch/fibers');
const x64 = process.arch === 'x64' && process.platform === 'linux';

// Loads the package in a child with `env` and prints what it says.
const report = `
  let out;
  try {
    const Fiber = require(${JSON.stringify(pkg)});
    const f = Fiber(() => Fiber.yield(1) + 1);
    const trip = [f.run(), f.run(41)];
    out = { backend: Fiber.backend, path: Fiber.switchPath, reason: Fiber.switchReason, trip,
            created: Fiber.fibersCreated };
  } catch (error) {
    out = { code: error.code, message: error.message };
  }
  process.stdout.write(JSON.stringify(out));
`;

function load(env, script = report) {
  const childEnv = { ...process.env, ...env };
  for (const key of ['GREENPATCH_SWITCH', 'GREENPATCH_BACKEND', 'GREENPATCH_TEST_SWITCH_FAILURE']) {
    if (env[key] === undefined) delete childEnv[key];
  }
  const r = spawnSync(process.execPath, ['-e', script], { env: childEnv, encoding: 'utf8', timeout: 30_000 });
  return { ...JSON.parse(r.stdout), stderr: r.stderr, status: r.status };
}

test('unset: the direct path where its load checks pass, silently; fibers work and the checks count no fiber', (t) => {
  const r = load({});
  t.is(r.stderr, '');
  t.is(r.backend, 'native');
  t.deepEqual(r.trip, [1, 42]);
  t.is(r.created, 1, 'the self test at load is not counted');
  if (x64) {
    t.is(r.path, 'direct', r.reason);
    t.is(r.reason, 'every load check passed');
  } else {
    t.is(r.path, 'locker');
    t.regex(r.reason, /x86-64/);
  }
});

test('GREENPATCH_SWITCH=locker selects the Locker path, and says so', (t) => {
  const r = load({ GREENPATCH_SWITCH: 'locker' });
  t.is(r.path, 'locker');
  t.is(r.reason, 'GREENPATCH_SWITCH=locker');
  t.deepEqual(r.trip, [1, 42]);
  t.is(r.stderr, '');
});

test('GREENPATCH_SWITCH=direct requires the direct path: used, or loading throws why it cannot run', (t) => {
  const r = load({ GREENPATCH_SWITCH: 'direct' });
  if (x64) {
    t.is(r.path, 'direct');
    t.deepEqual(r.trip, [1, 42]);
  } else {
    t.is(r.code, 'ERR_GREENPATCH_SWITCH_UNAVAILABLE');
    t.regex(r.message, /x86-64/);
  }
});

test('a check that fails at load: the Locker path, silently, with the reason; with GREENPATCH_SWITCH=direct an error', (t) => {
  const fallback = load({ GREENPATCH_TEST_SWITCH_FAILURE: 'a symbol is missing' });
  t.is(fallback.path, 'locker');
  t.regex(fallback.reason, /^a symbol is missing/);
  t.deepEqual(fallback.trip, [1, 42]);
  t.is(fallback.stderr, '');
  const forced = load({ GREENPATCH_TEST_SWITCH_FAILURE: 'a symbol is missing', GREENPATCH_SWITCH: 'direct' });
  t.is(forced.code, 'ERR_GREENPATCH_SWITCH_UNAVAILABLE');
  t.regex(forced.message, /GREENPATCH_SWITCH=direct.*a symbol is missing/);
});

test('a GREENPATCH_SWITCH that names no path is ERR_GREENPATCH_UNSUPPORTED_SWITCH', (t) => {
  for (const value of ['Direct', 'fast', 'lock']) {
    const r = load({ GREENPATCH_SWITCH: value });
    t.is(r.code, 'ERR_GREENPATCH_UNSUPPORTED_SWITCH');
    t.true(r.message.includes(`GREENPATCH_SWITCH=${value} `), r.message);
  }
  // Empty is unset.
  t.is(load({ GREENPATCH_SWITCH: '' }).path, x64 ? 'direct' : 'locker');
});

test('the threads backend switches with the Locker; it cannot honour GREENPATCH_SWITCH=direct', (t) => {
  const r = load({ GREENPATCH_BACKEND: 'threads' });
  t.is(r.backend, 'threads');
  t.is(r.path, 'locker');
  t.deepEqual(r.trip, [1, 42]);
  const forced = load({ GREENPATCH_BACKEND: 'threads', GREENPATCH_SWITCH: 'direct' });
  t.is(forced.code, 'ERR_GREENPATCH_SWITCH_UNAVAILABLE');
  t.regex(forced.message, /threads backend/);
});

test('each worker thread picks its path too, the same way', (t) => {
  const script = `
    const { Worker } = require('node:worker_threads');
    const code = ${JSON.stringify(report)}.replace('process.stdout.write(JSON.stringify(out))',
      "require('node:worker_threads').parentPort.postMessage(out)");
    const w = new Worker(code, { eval: true });
    w.once('message', (m) => { process.stdout.write(JSON.stringify(m)); w.terminate(); });
  `;
  for (const env of [{}, { GREENPATCH_SWITCH: 'locker' }]) {
    const r = load(env, script);
    t.is(r.path, env.GREENPATCH_SWITCH === 'locker' || !x64 ? 'locker' : 'direct', r.reason);
    t.deepEqual(r.trip, [1, 42]);
  }
});

test('the symbol lookup at load finds the addresses a full scan of the symbol table finds', (t) => {
  if (!x64) return t.pass('no direct switch here');
  // The addon's own test hook (src/native/elf_symbols.cc): the engine's
  // lookup (dlsym, then the symbol table's fast pass) against every name
  // of the table compared.
  const script = `
    const addon = require(require('node-gyp-build').path(${JSON.stringify(require.resolve('@greenpatch/fibers/package.json').replace(/\/package\.json$/, ''))}));
    const b = addon.start('native');
    const [same, report] = b.compareSymbolLookups();
    process.stdout.write(JSON.stringify({ path: b.switchPath, same, report }));
  `;
  const r = load({}, script);
  t.is(r.path, 'direct');
  t.true(r.same, r.report);
  t.regex(r.report, /^\d+ names; (\d+) found by the engine, \1 in the symbol tables \(fast pass\)/);
  t.is(r.stderr, '');
});
