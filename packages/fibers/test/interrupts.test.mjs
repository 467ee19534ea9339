// Interrupts raised from another thread while a fiber is current
// (worker.terminate(), Isolate::RequestInterrupt, which Node uses for a
// worker's heap snapshot): on the direct switch path they are carried over to
// whatever runs next instead of waiting in the archived state of the fiber
// that was current (docs/engine-direct-switch.md#interrupts). Each trial
// raises one at a random point of a worker's switches, among fibers left
// suspended for good and fibers that end; the worker meanwhile never returns
// to its event loop, so only a delivered interrupt ends it.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'interrupts.cjs');
const x64 = process.arch === 'x64' && process.platform === 'linux';

// Runs the fixture in a child process (the workers inherit `env`). A trial
// whose interrupt never arrives makes the child kill itself after the
// fixture's bound, once it has printed its count.
function run(mode, env, trials, boundMs = 10_000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', fixture, mode, String(trials), String(boundMs)], {
      env: { ...process.env, ...env },
      timeout: 240_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status, signal) => {
      const line = stdout.trim().split('\n').pop();
      resolve({ reached: 0, missed: 0, notEnded: 0, ...(line ? JSON.parse(line) : {}), status, signal, stderr });
    });
  });
}

function directEnv() {
  return { GREENPATCH_SWITCH: 'direct', GREENPATCH_BACKEND: '' };
}

test.serial('worker.terminate() while a fiber is current ends the worker (direct path)', async (t) => {
  t.timeout(300_000);
  if (!x64) return t.pass('direct switch not available here');
  const r = await run('terminate', directEnv(), 30);
  t.deepEqual(r.paths, ['direct'], r.stderr);
  t.is(r.missed, 0, 'a terminated worker kept running');
  t.is(r.reached, 30);
  t.is(r.status, 0, r.stderr);
});

test.serial('an API interrupt raised while a fiber is current reaches the worker (direct path)', async (t) => {
  t.timeout(300_000);
  if (!x64) return t.pass('direct switch not available here');
  const r = await run('api', directEnv(), 20);
  t.deepEqual(r.paths, ['direct'], r.stderr);
  t.is(r.missed, 0, 'the heap snapshot interrupt never ran');
  t.is(r.notEnded, 0);
  t.is(r.reached, 20);
  t.is(r.status, 0, r.stderr);
});

test.serial('the direct path says whether it carries interrupts', async (t) => {
  if (!x64) return t.pass('direct switch not available here');
  const code = `const a = require(require('node-gyp-build').path(${JSON.stringify(join(dirname(fixture), '..', '..'))}));
    const b = a.start('native'); console.log(JSON.stringify([b.switchPath, b.interruptCarry]));`;
  const r = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, ...directEnv() }, encoding: 'utf8', timeout: 60_000 });
  t.deepEqual(JSON.parse(r.stdout), ['direct', true], r.stderr);
  t.is(r.stderr, '');
});

test.serial('the Locker path and the threads backend do not crash when interrupted mid-switch', async (t) => {
  t.timeout(600_000);
  // Neither carries interrupts: one raised in a switch's window waits for (or
  // is dropped with) the fiber that was current, so a trial may miss; what
  // is asserted is that every trial either ends or was left spinning, never
  // a crash.
  for (const env of [{ GREENPATCH_SWITCH: 'locker', GREENPATCH_BACKEND: '' }, { GREENPATCH_BACKEND: 'threads', GREENPATCH_SWITCH: '' }]) {
    for (const mode of ['terminate', 'api']) {
      // The bound only decides which of the two outcomes a trial counts as.
      const r = await run(mode, env, 5, 2_000);
      t.true(r.reached + r.missed >= 1, `${JSON.stringify(env)} ${mode}: ${r.stderr}`);
      if (r.missed === 0 && r.notEnded === 0) t.is(r.status, 0, r.stderr);
      else t.is(r.signal, 'SIGKILL', r.stderr);
    }
  }
});
