// Start-up overhead of the hook: `node --require greenpatch/register` on an
// empty CommonJS entry beside `node` on the same entry, and `node --import
// greenpatch/register` on an empty ES entry beside `node` on that entry.
// Stock and hooked runs alternate (A B A B ...) and each pair gives one
// difference, so a machine whose speed drifts moves both sides; the figures
// are medians over the pairs. Wall time is spawn to exit, seen from here;
// CPU time is the child's own (user + system, every thread), read at exit by
// a reporter preloaded on both sides. Targets (issue 15): at most 10 ms over
// stock with --require, 20 ms with --import.
//
// A third case names the hook as users write it, `--require
// greenpatch/register` (found through NODE_PATH, set on both sides): Node
// then resolves it through greenpatch's "exports" map, whose first use costs
// about 1.5 ms more than the path the first case gives.
//
// `STARTUP_PAIRS` sets the pairs per case (default 21); the whole run stops
// after STARTUP_SECONDS (default 120) with the pairs it has.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const register = path.join(here, '../packages/greenpatch/dist/register.js');
const registerESM = pathToFileURL(path.join(here, '../packages/greenpatch/dist/register.mjs')).href;
const PAIRS = Number(process.env.STARTUP_PAIRS) || 21;
const deadline = performance.now() + (Number(process.env.STARTUP_SECONDS) || 120) * 1000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-startup-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, 'empty.cjs'), '');
fs.writeFileSync(path.join(dir, 'empty.mjs'), '');
// Loads nothing more than the entry would: fs is loaded by Node itself.
fs.writeFileSync(
  path.join(dir, 'report.cjs'),
  "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(1, JSON.stringify((u.user + u.system) / 1000)); });\n",
);

// The directory holding greenpatch's package, for NODE_PATH.
const packages = path.join(here, '../packages');

function once(args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', './report.cjs', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    env: env === undefined ? process.env : { ...process.env, ...env },
  });
  const wall = performance.now() - t0;
  if (r.status !== 0 || r.stderr !== '') throw new Error(`node ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return { wall, cpu: Number(r.stdout) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cases = [
  { name: '`--require greenpatch/register` empty.cjs', stock: ['empty.cjs'], hooked: ['--require', register, 'empty.cjs'], target: 10 },
  {
    name: '`--require greenpatch/register` (by name) empty.cjs',
    stock: ['empty.cjs'],
    hooked: ['--require', 'greenpatch/register', 'empty.cjs'],
    env: { NODE_PATH: packages },
    target: 10,
  },
  { name: '`--import greenpatch/register` empty.mjs', stock: ['empty.mjs'], hooked: ['--import', registerESM, 'empty.mjs'], target: 20 },
];

// Warm the file system cache on both sides.
for (const c of cases) {
  once(c.stock, c.env);
  once(c.hooked, c.env);
}

const rows = [];
for (const c of cases) {
  const pairs = [];
  for (let i = 0; i < PAIRS && performance.now() < deadline; i++) {
    // Alternate which side goes first, so neither always follows the other.
    let stock, hooked;
    if (i % 2 === 0) {
      stock = once(c.stock, c.env);
      hooked = once(c.hooked, c.env);
    } else {
      hooked = once(c.hooked, c.env);
      stock = once(c.stock, c.env);
    }
    pairs.push({ stock, hooked });
  }
  const m = (f) => median(pairs.map(f));
  rows.push({
    ...c,
    n: pairs.length,
    stockWall: m((p) => p.stock.wall),
    hookedWall: m((p) => p.hooked.wall),
    wallDiff: m((p) => p.hooked.wall - p.stock.wall),
    wallRatio: m((p) => p.hooked.wall / p.stock.wall),
    stockCpu: m((p) => p.stock.cpu),
    hookedCpu: m((p) => p.hooked.cpu),
    cpuDiff: m((p) => p.hooked.cpu - p.stock.cpu),
  });
}

const ms = (v) => `${v.toFixed(1)} ms`;
console.log(`\nNode ${process.version} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}): medians over the pairs`);
console.log('| hooked | pairs | stock wall | hooked wall | wall overhead | ratio | stock CPU | hooked CPU | CPU overhead | target |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  // Both overheads against the target: wall time is what a user waits, CPU
  // the steadier figure on a shared machine.
  const judge = (v) => (v <= r.target ? 'met' : 'NOT met');
  const met = `wall ${judge(r.wallDiff)}, CPU ${judge(r.cpuDiff)}`;
  console.log(
    `| ${r.name} | ${r.n} | ${ms(r.stockWall)} | ${ms(r.hookedWall)} | ${ms(r.wallDiff)} | ${r.wallRatio.toFixed(2)} | ` +
      `${ms(r.stockCpu)} | ${ms(r.hookedCpu)} | ${ms(r.cpuDiff)} | ≤ ${r.target} ms: ${met} |`,
  );
}
