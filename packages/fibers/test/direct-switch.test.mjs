// The direct switch prototype (GREENPATCH_SWITCH=direct, off by default;
// docs/engine-direct-switch.md): that it is used when asked for on x86-64,
// and what it must keep true that the Locker path keeps true. What it adds
// (a CPU profiler sees the work in green threads) is proven by
// packages/greenpatch/test/profiler.test.mjs. The engine's other suites run
// on it with GREENPATCH_SWITCH=direct in the environment.
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
  if (direct) env.GREENPATCH_SWITCH = 'direct';
  const stdout = execFileSync(process.execPath, ['--expose-gc', fixture, mode], { env, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

test('the Locker path is the default; GREENPATCH_SWITCH=direct selects the direct one', (t) => {
  t.is(run('path', false).path, 'locker');
  const asked = run('path', true);
  if (x64) {
    t.is(asked.path, 'direct', asked.note);
  } else {
    // The prototype finds V8's ThreadManager on x86-64 only: refused, with why.
    t.is(asked.path, 'locker');
    t.regex(asked.note, /x86-64/);
  }
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
