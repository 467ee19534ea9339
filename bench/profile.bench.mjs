// What a CPU profiler sees of work done in green threads. The same
// CPU-bound workload (five workers, each burning 100 ms of CPU in 10 ms
// slices with a pause between slices) runs once as async functions on stock
// Node and once in five green threads, each backend in turn; each run is
// profiled by `node --cpu-prof` and, in a separate run, through the
// inspector's Profiler.start/stop. Printed: the samples in the profile, and
// how many of them have the work (`burnSlice`, or the worker function it
// may be inlined into) on their stack,
// against the stock run's. docs/engine-direct-switch.md says why the green
// runs lose them. A measurement only: nothing is asserted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKERS = 5;
const SLICES = 10;
const SLICE_MS = 10;
const WORK_FUNCTIONS = ['burnSlice', 'stockWorker', 'greenWorker'];

function burnSlice(ms) {
  // CPU only: no allocation worth a GC, no calls out of JavaScript.
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) x = (x * 31 + i) | 0;
  }
  return x;
}

// The workers' own functions are named and counted with burnSlice(): V8 may
// inline burnSlice() into them, and the profile then shows them instead.
async function stockWorkload() {
  const pause = () => new Promise((resolve) => setImmediate(resolve));
  async function stockWorker() {
    for (let s = 0; s < SLICES; s++) {
      burnSlice(SLICE_MS);
      await pause();
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, stockWorker));
}

function greenWorkload(gp) {
  function greenWorker() {
    for (let s = 0; s < SLICES; s++) {
      burnSlice(SLICE_MS);
      gp.sleep(0);
    }
  }
  const threads = Array.from({ length: WORKERS }, () => gp.spawn(greenWorker));
  return new Promise((resolve, reject) => {
    gp.spawn(() => {
      for (const t of threads) t.wait();
    }).link((t) => (t.exception ? reject(t.exception) : resolve()));
  });
}

async function child(mode, via, out) {
  let run;
  if (mode === 'stock') {
    run = stockWorkload;
  } else {
    const require = createRequire(import.meta.url);
    const gp = require('../packages/greenpatch');
    run = () => greenWorkload(gp);
  }
  if (via === 'cpu-prof') {
    await run();
    return;
  }
  // The inspector's Profiler, started and stopped around the workload.
  const inspector = await import('node:inspector/promises');
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await run();
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  writeFileSync(out, JSON.stringify(profile));
}

// Samples in a profile, and how many have one of `names` on their stack.
function count(profile, names) {
  const parent = new Map();
  const byId = new Map();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const onStack = new Map();
  const has = (id) => {
    if (onStack.has(id)) return onStack.get(id);
    const node = byId.get(id);
    const v = names.includes(node.callFrame.functionName) || (parent.has(id) && has(parent.get(id)));
    onStack.set(id, v);
    return v;
  };
  let hits = 0;
  for (const id of profile.samples) if (has(id)) hits++;
  return { samples: profile.samples.length, hits };
}

function measure(mode, backend, via) {
  const dir = mkdtempSync(join(tmpdir(), 'profile-bench-'));
  try {
    const out = join(dir, 'inspector.cpuprofile');
    const flags = via === 'cpu-prof' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
    const r = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), '--child', mode, via, out], {
      encoding: 'utf8',
      env: { ...process.env, ...(backend ? { GREENPATCH_BACKEND: backend } : {}) },
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    if (r.status !== 0) throw new Error(r.signal ? `stopped by ${r.signal}` : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`));
    const file = via === 'cpu-prof' ? join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))) : out;
    return count(JSON.parse(readFileSync(file, 'utf8')), WORK_FUNCTIONS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
} else {
  console.log(`${WORKERS} workers × ${SLICES} slices × ${SLICE_MS} ms of CPU in burnSlice(), Node ${process.version}`);
  console.log(`| profiler | run | samples | samples in the work (${WORK_FUNCTIONS.join(', ')}) | share of stock's |`);
  console.log('| --- | --- | ---: | ---: | ---: |');
  let failed = 0;
  for (const via of ['cpu-prof', 'inspector']) {
    let stock;
    for (const [mode, backend] of [['stock', null], ['green', 'native'], ['green', 'threads']]) {
      const label = mode === 'stock' ? 'stock Node, async functions' : `green threads, ${backend} backend`;
      let r;
      try {
        r = measure(mode, backend, via);
      } catch (error) {
        console.log(`| ${via} | ${label} | not measured: ${error.message} | | |`);
        failed++;
        continue;
      }
      if (mode === 'stock') stock = r;
      const share = stock && stock.hits > 0 ? (r.hits / stock.hits).toFixed(2) : '';
      console.log(`| ${via === 'cpu-prof' ? '`--cpu-prof`' : '`Profiler.start/stop`'} | ${label} | ${r.samples} | ${r.hits} | ${share} |`);
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}
