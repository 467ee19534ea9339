// AsyncLocalStorage contexts in fibers under frequent young-generation
// collections, on every switch path and backend. On Node 24 and 26 the
// collector visits the isolate's context slot once per archived thread,
// which every suspended fiber is; without the engine's guard
// (src/native/async_context_gc.h) this corrupted the heap within a few
// thousand switches. Each run in a child process.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'async-context-gc.cjs');
const x64 = process.arch === 'x64' && process.platform === 'linux';

const runs = [
  ['native, direct switch', { GREENPATCH_BACKEND: 'native', GREENPATCH_SWITCH: 'direct' }],
  ['native, Locker switch', { GREENPATCH_BACKEND: 'native', GREENPATCH_SWITCH: 'locker' }],
  ['threads backend', { GREENPATCH_BACKEND: 'threads' }],
];

for (const [name, env] of runs) {
  test(`contexts entered in suspended fibers survive collections: ${name}`, (t) => {
    if (env.GREENPATCH_SWITCH === 'direct' && !x64) return t.pass('no direct switch here');
    t.timeout(120_000);
    const childEnv = { ...process.env, ...env };
    if (env.GREENPATCH_SWITCH === undefined) delete childEnv.GREENPATCH_SWITCH;
    const r = spawnSync(process.execPath, ['--stress-scavenge=50', fixture], {
      env: childEnv,
      encoding: 'utf8',
      timeout: 100_000,
    });
    t.is(r.signal, null, r.stderr);
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout.trim(), 'ok 3000');
  });
}
