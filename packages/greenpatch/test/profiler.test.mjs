// A CPU profiler sees the work done in green threads (issue 18): node's
// --cpu-prof and the inspector's Profiler.start/stop, on the engine's direct
// switch path. docs/engine-direct-switch.md says why the Locker path cannot.
//
// The statistic: one child process runs the same CPU-bound work (a fixed
// number of iterations per slice, so both sides do exactly the same work) in
// eight rounds, each round once as plain async functions and once in green
// threads (a sleep(0) between slices), the order alternating
// (fixtures/profile-rounds.cjs). Each side's work is its own copy of the
// function, so the profile says whose every sample is, and the child's
// round windows say which round it fell in. The figure checked is the
// median over the rounds of (samples with the green side's work on their
// stack) / (samples with the plain side's work on their stack). A sampling
// profiler ticks by the clock, so a loaded machine changes how many samples
// the work gets; pairing the sides within short rounds in one process makes
// the load hit both alike, and the median keeps a round in which the
// sampler thread was starved (ticks are then lost in bursts; a total over
// all rounds fell to 0.82 once with the whole suite running) from deciding.
// Green threads pay their switches outside the work, so the ratio is about
// 1 when the profiler sees them and 0 when it does not; the issue asks for
// at least 0.9. Under heavy load (four copies of this file at once) the
// sampler's lost ticks fell a little more on the green side, medians
// 0.92-1.02 where an idle machine gives 0.97-1.04: losses only ever lower
// the figure, so the direct-path tests take up to three runs and need one
// to reach 0.9. A profiler blind to green threads gives 0 in every run.
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

/** For each sample of `profile`, whether one of `names` is on its stack. */
function onStack(profile, names) {
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
  return profile.samples.map(has);
}

/** Per round [start, end] (µs), the plain and green samples in it. */
function perRound(profile, rounds) {
  const plain = onStack(profile, PLAIN);
  const green = onStack(profile, GREEN);
  const counts = rounds.map(() => ({ plain: 0, green: 0 }));
  let t = profile.startTime;
  profile.samples.forEach((_, i) => {
    t += profile.timeDeltas[i];
    const r = rounds.findIndex(([start, end]) => t >= start && t <= end);
    if (r < 0) return;
    if (plain[i]) counts[r].plain++;
    if (green[i]) counts[r].green++;
  });
  return counts;
}

const median = (values) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

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
    const rounds = perRound(profile, info.rounds);
    const plain = rounds.reduce((n, r) => n + r.plain, 0);
    const green = rounds.reduce((n, r) => n + r.green, 0);
    const ratio = median(rounds.map((r) => (r.plain > 0 ? r.green / r.plain : 0)));
    return { path: info.path, note: info.note, cpu: info.cpu, samples: profile.samples.length, plain, green, ratio, rounds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const via of ['cpu-prof', 'inspector']) {
  const name = via === 'cpu-prof' ? 'node --cpu-prof' : 'the inspector Profiler.start/stop';

  test(`${name} gives work in green threads at least 0.9 of the samples the same plain work gets (direct switch)`, (t) => {
    if (!direct) return t.pass('the direct switch path needs x86-64 Linux');
    let r;
    for (let attempt = 0; attempt < 3 && !(r?.ratio >= 0.9); attempt++) {
      if (r) t.log(`run ${attempt}: ${JSON.stringify(r)}`);
      r = profiled(via, 'direct');
    }
    t.log(`green/plain samples in the work: ${r.green}/${r.plain}; median of the rounds' ratios ${r.ratio.toFixed(3)}`);
    t.is(r.path, 'direct', r.note);
    // 160 slices of about 4 ms sampled every 0.5 ms give some 1,200 samples
    // to each side on an idle machine, 150 a round (fewer under load: ticks
    // the sampler takes while the process waits for a CPU collapse into one).
    t.true(r.plain >= 80, JSON.stringify(r));
    t.true(r.ratio >= 0.9, JSON.stringify(r));
  });

  // The limitation the direct path removes: on the Locker path V8's sampler
  // drops every tick taken while a fiber runs (the isolate's lock is held by
  // the fiber's V8 thread, and the main thread's state is archived).
  test(`${name} sees next to none of the work in green threads on the Locker path`, (t) => {
    const r = profiled(via, 'locker');
    t.log(`green/plain samples in the work: ${r.green}/${r.plain}; median of the rounds' ratios ${r.ratio.toFixed(3)}`);
    t.is(r.path, 'locker');
    t.true(r.plain >= 80, JSON.stringify(r));
    t.true(r.ratio <= 0.1, JSON.stringify(r));
  });
}
