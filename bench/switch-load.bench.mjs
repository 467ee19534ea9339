// CPU time of `require('@greenpatch/fibers')` with the direct switch path
// (its load checks, and on Node 24 and 26 the symbol lookup in the `node`
// executable's .symtab) against GREENPATCH_SWITCH=locker, each in a fresh
// child, the two alternating (A B, B A, ...). Prints the medians and the
// median of the per-pair differences. SWITCH_LOAD_PAIRS (default 15).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = process.argv[2] ?? require.resolve('../packages/fibers');
const PAIRS = Number(process.env.SWITCH_LOAD_PAIRS) || 15;
const code = `const u0 = process.cpuUsage(); const F = require(${JSON.stringify(pkg)}); const u = process.cpuUsage(u0);
process.stdout.write(JSON.stringify([(u.user + u.system) / 1000, F.switchPath]));`;

function once(locker) {
  const env = { ...process.env };
  delete env.GREENPATCH_SWITCH;
  if (locker) env.GREENPATCH_SWITCH = 'locker';
  const r = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

once(false);
once(true);
const direct = [];
const locker = [];
const diff = [];
for (let i = 0; i < PAIRS; i++) {
  const [d, l] = i % 2 === 0 ? [once(false), once(true)] : [once(true), once(false)].reverse();
  if (d[1] !== 'direct') throw new Error(`the direct path is not used here (${d[1]})`);
  direct.push(d[0]);
  locker.push(l[0]);
  diff.push(d[0] - l[0]);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `Node ${process.version}: require('@greenpatch/fibers') CPU, median of ${PAIRS} pairs: ` +
    `direct ${median(direct).toFixed(2)} ms, locker ${median(locker).toFixed(2)} ms, ` +
    `direct - locker ${median(diff).toFixed(2)} ms`,
);
