// A CPU profiler sees the work done in green threads (issue 18): node's
// --cpu-prof and the inspector's Profiler.start/stop, on the engine's direct
// switch path. docs/engine-direct-switch.md says why the Locker path cannot.
//
// The statistic: one child process runs the same CPU-bound work (a fixed
// number of iterations per slice, so both sides do exactly the same work) in
// rounds, alternately as plain async functions and in green threads (a
// sleep(0) between slices), six rounds each, the order alternating
// (fixtures/profile-rounds.cjs). Each side's work is its own copy of the
// function, so the profile says whose every sample is. The figure checked
// is (samples with the green side's work on their stack) / (samples with
// the plain side's work on their stack), over all rounds. A sampling
// profiler ticks by the clock, so a loaded machine changes how many samples
// the work gets, but it does so to both sides alike: they are interleaved
// in short rounds in one process. Green threads pay their switches outside
// the work, so the ratio is about 1 when the profiler sees them and 0 when
// it does not; the issue asks for at least 0.9.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('fixtures/profile-rounds.cjs', import.meta.url));
// The direct path finds V8's ThreadManager on x86-64 Linux only.
const direct = process.arch === 'x64' && process.platform === 'linux';
const PLAIN = ['burnPlain', 'plainWorker'];
const GREEN = ['burnGreen', 'greenWorker'];

test.beforeEach((t) => t.timeout(180_000));

/** Samples of `profile` with one of `names` on their stack. */
function samplesIn(profile, names) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map();
  const has = (id) => {
    if (!memo.has(id)) {
      memo.set(id, names.includes(byId.get(id).callFrame.functionName) || (parent.has(id) && has(parent.get(id))));
    }
    return memo.get(id);
  };
  return profile.samples.filter(has).length;
}

/** Runs the fixture under one profiler and switch path; the counts it gives. */
function profiled(via, switchPath) {
  const env = { ...process.env, GREENPATCH_SWITCH: switchPath };
  delete env.GREENPATCH_BACKEND;
  const dir = mkdtempSync(join(tmpdir(), 'greenpatch-profile-'));
  try {
    const out = join(dir, 'inspector.cpuprofile');
    const flags = via === 'cpu-prof' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500'] : [];
    const stdout = execFileSync(process.execPath, [...flags, fixture, via, out], {
      env,
      encoding: 'utf8',
      timeout: 150_000,
      killSignal: 'SIGKILL',
    });
    const info = JSON.parse(stdout.trim().split('\n').pop());
    const file = via === 'cpu-prof' ? join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))) : out;
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    const plain = samplesIn(profile, PLAIN);
    const green = samplesIn(profile, GREEN);
    return { ...info, samples: profile.samples.length, plain, green, ratio: plain > 0 ? green / plain : NaN };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const via of ['cpu-prof', 'inspector']) {
  const name = via === 'cpu-prof' ? 'node --cpu-prof' : 'the inspector Profiler.start/stop';

  test(`${name} gives work in green threads at least 0.9 of the samples the same plain work gets (direct switch)`, (t) => {
    if (!direct) return t.pass('the direct switch path needs x86-64 Linux');
    const r = profiled(via, 'direct');
    t.log(`green/plain samples in the work: ${r.green}/${r.plain} = ${r.ratio.toFixed(3)}`);
    t.is(r.path, 'direct', r.note);
    // 120 slices of about 4 ms sampled every 0.5 ms give some 900 samples to
    // each side on an idle machine (fewer under load: ticks the sampler
    // takes while the process waits for a CPU collapse into one); at 50 or
    // more, one sample more or less per round cannot move the ratio by 0.1.
    t.true(r.plain >= 50, JSON.stringify(r));
    t.true(r.ratio >= 0.9, JSON.stringify(r));
  });

  // The limitation the direct path removes: on the Locker path V8's sampler
  // drops every tick taken while a fiber runs (the isolate's lock is held by
  // the fiber's V8 thread, and the main thread's state is archived).
  test(`${name} sees next to none of the work in green threads on the Locker path`, (t) => {
    const r = profiled(via, 'locker');
    t.log(`green/plain samples in the work: ${r.green}/${r.plain} = ${r.ratio.toFixed(3)}`);
    t.is(r.path, 'locker');
    t.true(r.plain >= 50, JSON.stringify(r));
    t.true(r.ratio <= 0.1, JSON.stringify(r));
  });
}
