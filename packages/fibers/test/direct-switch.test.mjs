// The direct switch path (the default where its load checks pass;
// docs/engine-direct-switch.md): that it is used on x86-64, and what it must
// keep true that the Locker path keeps true. What it adds (a CPU profiler
// sees the work in green threads) is proven by
// packages/greenpatch/test/profiler.test.mjs. The engine's other suites run
// on both paths (.ci/run sets GREENPATCH_SWITCH=locker for the second);
// switch-path.test.mjs tests the selection.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'direct.cjs');
const x64 = process.arch === 'x64' && process.platform === 'linux';

function run(mode, direct) {
  const env = { ...process.env };
  delete env.GREENPATCH_SWITCH;
  delete env.GREENPATCH_BACKEND;
  env.GREENPATCH_SWITCH = direct ? 'direct' : 'locker';
  const stdout = execFileSync(process.execPath, ['--expose-gc', fixture, mode], { env, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

test('GREENPATCH_SWITCH=locker selects the Locker path; the direct one runs on x86-64', (t) => {
  t.is(run('path', false).path, 'locker');
  if (x64) t.is(run('path', true).path, 'direct');
});

test('fibers suspended in a function deoptimized meanwhile resume correctly, on both paths', (t) => {
  for (const direct of x64 ? [false, true] : [false]) {
    const r = run('deopt', direct);
    t.is(r.ok, r.of, `${r.path}: ${JSON.stringify(r)}`);
  }
});

test('a debugger pausing inside fibers, on both paths', (t) => {
  for (const direct of x64 ? [false, true] : [false]) {
    const r = run('debugger', direct);
    t.is(r.pauses, 30, r.path);
    t.true(r.same, r.path);
  }
});

test('fibers in a worker, on both paths', (t) => {
  for (const direct of x64 ? [false, true] : [false]) {
    t.is(run('worker', direct).total, 495_000);
  }
});
