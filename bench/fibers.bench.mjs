// The engine's costs, each beside the nearest thing stock Node offers:
// a run()+yield() round trip vs `await null`, a fiber's create+run-to-end vs
// an async function's call+await, and the memory each suspended one holds.
// The native backend on each switch path (direct and Locker, see
// docs/engine-direct-switch.md) and the threads backend are each measured in
// a process of their own. Where python3 has greenlet, its round trip is
// measured just before each of them (paired, so that the machine's load of
// the moment hits both) and printed beside the fibers' one.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const BUDGET_MS = 1500; // per measurement

function timeLoop(fn, maxIterations) {
  // Warm up, then as many iterations as fit in the budget.
  fn(Math.min(10_000, maxIterations));
  let n = 10_000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    fn(n);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns > BUDGET_MS * 1e6 / 4 || n >= maxIterations) return ns / n;
    n = Math.min(maxIterations, n * 4);
  }
}

function bestOf(runs, n, fn) {
  fn(n);
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    fn(n);
    const c = process.cpuUsage(c0);
    best = Math.min(best, ((c.user + c.system) * 1000) / n);
  }
  return best;
}

async function timeLoopAsync(fn, maxIterations) {
  await fn(Math.min(10_000, maxIterations));
  let n = 10_000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    await fn(n);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns > BUDGET_MS * 1e6 / 4 || n >= maxIterations) return ns / n;
    n = Math.min(maxIterations, n * 4);
  }
}

function rssPerItem(make, count) {
  globalThis.gc();
  const before = process.memoryUsage().rss;
  const keep = make(count);
  globalThis.gc();
  const after = process.memoryUsage().rss;
  return { bytes: (after - before) / count, keep };
}

async function measure() {
  const require = createRequire(import.meta.url);
  const Fiber = require('../packages/fibers');

  const fiber = Fiber(() => {
    for (;;) Fiber.yield();
  });
  fiber.run();
  // CPU time, best of several, as for greenlet below: on a shared machine
  // wall time counts the moments other processes had the CPU, and a run
  // their cache traffic slowed only takes longer.
  const roundTrip = bestOf(7, 200_000, (n) => {
    for (let i = 0; i < n; i++) fiber.run();
  });
  const awaitNull = await timeLoopAsync(async (n) => {
    for (let i = 0; i < n; i++) await null;
  }, 20_000_000);

  const body = () => 1;
  const create = timeLoop((n) => {
    for (let i = 0; i < n; i++) Fiber(body).run();
  }, 2_000_000);
  const asyncBody = async () => 1;
  const asyncCall = await timeLoopAsync(async (n) => {
    for (let i = 0; i < n; i++) await asyncBody();
  }, 5_000_000);

  const N = 10_000;
  const fibers = rssPerItem((count) => {
    const all = [];
    for (let i = 0; i < count; i++) {
      const f = Fiber((x) => {
        const local = { x, list: [x, x + 1] };
        Fiber.yield(local);
        return local;
      });
      f.run(i);
      all.push(f);
    }
    return all;
  }, N);
  const forever = new Promise(() => {});
  const asyncs = rssPerItem((count) => {
    const all = [];
    for (let i = 0; i < count; i++) {
      all.push(
        (async (x) => {
          const local = { x, list: [x, x + 1] };
          await forever;
          return local;
        })(i),
      );
    }
    return all;
  }, N);
  for (const f of fibers.keep) f.reset();

  return {
    backend: Fiber.backend,
    switchPath: Fiber.backend === 'native' ? switchPath(require) : undefined,
    node: process.version,
    roundTrip,
    awaitNull,
    create,
    asyncCall,
    fiberBytes: fibers.bytes,
    asyncBytes: asyncs.bytes,
  };
}

// The switch path the native backend took (the addon's raw surface says).
function switchPath(require) {
  const dir = fileURLToPath(new URL('../packages/fibers', import.meta.url));
  const gypBuild = require(require.resolve('node-gyp-build', { paths: [dir] }));
  return require(gypBuild.path(dir)).start('native').switchPath;
}

// CPython greenlet's round trip (switch into a greenlet that switches back),
// the reference the engine's switch is compared with; null when python3 has
// no greenlet.
function greenletRoundTrip() {
  const script = [
    'import time, greenlet',
    'def body():',
    '    main = greenlet.getcurrent().parent',
    '    while True: main.switch()',
    'g = greenlet.greenlet(body)',
    'g.switch()',
    'for _ in range(200000): g.switch()',
    'best = None',
    'for _ in range(7):',
    '    t = time.process_time_ns()',
    '    for _ in range(200000): g.switch()',
    '    d = (time.process_time_ns() - t) / 200000',
    '    best = d if best is None or d < best else best',
    'print(greenlet.__version__, best)',
  ].join('\n');
  // The system's python3 first: that is where Debian's python3-greenlet goes.
  let r;
  for (const python of ['/usr/bin/python3', 'python3']) {
    r = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) break;
  }
  if (r.status !== 0) return null;
  const [version, ns] = r.stdout.trim().split(' ');
  return { version, ns: Number(ns) };
}

function row(label, value, unit, baseLabel, base) {
  const v = unit === 'KB' ? value / 1024 : unit === 'µs' ? value / 1000 : value;
  const b = unit === 'KB' ? base / 1024 : unit === 'µs' ? base / 1000 : base;
  return `| ${label} | ${v.toFixed(unit === 'ns' ? 0 : 2)} ${unit} | ${baseLabel} | ${b.toFixed(unit === 'ns' ? 0 : 2)} ${unit} | ${(value / base).toFixed(2)} |`;
}

if (process.argv[2] === '--child') {
  const r = await measure();
  process.stdout.write(JSON.stringify(r));
} else {
  const self = fileURLToPath(import.meta.url);
  const results = [];
  const configs = [
    { backend: 'native', path: 'direct' },
    { backend: 'native', path: 'locker' },
    { backend: 'threads' },
  ];
  for (const config of configs) {
    const greenlet = greenletRoundTrip();
    const env = { ...process.env, GREENPATCH_BACKEND: config.backend };
    if (config.path) env.GREENPATCH_SWITCH = config.path;
    const child = spawnSync(process.execPath, ['--expose-gc', self, '--child'], { encoding: 'utf8', env, timeout: 120_000 });
    const label = config.path ? `${config.backend}, ${config.path} switch` : config.backend;
    if (child.status !== 0) {
      const reason = (child.stderr.trim().split('\n').find((l) => /ERR_|Error/.test(l)) ?? `exit ${child.status}`).trim();
      console.log(`backend ${label}: not measured (${reason})`);
      continue;
    }
    results.push({ ...JSON.parse(child.stdout), label, greenlet });
  }
  for (const r of results) {
    const refused = r.switchPath && !r.label.includes(r.switchPath) ? ` (refused: the ${r.switchPath} switch is in use)` : '';
    console.log(`\nbackend ${r.label}${refused}, Node ${r.node}`);
    console.log('| measure | fibers | baseline | baseline value | ratio |');
    console.log('| --- | --- | --- | --- | --- |');
    console.log(row('run()+yield() round trip', r.roundTrip, 'ns', '`await null`', r.awaitNull));
    if (r.greenlet) console.log(row('run()+yield() round trip', r.roundTrip, 'ns', `CPython greenlet ${r.greenlet.version} switch+switch back`, r.greenlet.ns));
    console.log(row('create + run to end', r.create, 'µs', 'async call + await', r.asyncCall));
    console.log(row('RSS per suspended one (10,000 alive)', r.fiberBytes, 'KB', 'pending async function', r.asyncBytes));
  }
  if (results.length === 0) process.exit(1);
}
