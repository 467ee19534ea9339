#!/usr/bin/env node
// Runs Node's own tests (test/parallel of a Node checkout, which is never
// copied into this repository) stock and under greenpatch/register, and
// lists the tests that pass stock but fail hooked. See
// docs/compatibility.md, "Node's own tests".
//
//   node scripts/node-tests.mjs <node>/test [options]
//
// Options:
//   --modules net,http,...  which modules' tests (default: the nine below)
//   --match <regex>         only test files whose name matches
//   --suite <dir>           parallel (default) or sequential (then use --jobs 1)
//   --files a.js,b.js       exactly these files of the suite
//   --from <results.json>   only the tests that failed hooked-only there
//   --stock-from <results.json>  take stock outcomes from an earlier run
//   --modes stock,hooked,hooked-all   (default: these three; hooked-import too)
//   --jobs <n>              tests run at once (default 2)
//   --timeout <s>           per run (default 60)
//   --json <file>           write every outcome there
//   --every                 run the hooked modes even where stock fails
//
// The modes: `stock` is `node <flags> test.js`; `hooked` adds
// `--require greenpatch/register` (the default patch set: the test's whole
// top level runs in the main green thread, so every cooperative `*Sync`,
// green listener and dns change is live); `hooked-all` is the same with
// GREENPATCH_PATCH naming every patch, the opt-in zlib and crypto included;
// `hooked-import` is `--import greenpatch/register` with the default set.
// A test that fails `hooked-import` is run once more stock with an empty
// `--import`: on Node 20 any `--import` makes the CommonJS entry load after a
// turn of the event loop (through the ES loader), which some tests notice.
// Besides failures it lists tests that pass both ways but print on stderr,
// hooked, lines stock does not (numbers aside): the hook must stay silent.
// A test's `// Flags:` lines are passed as Node's test runner passes them.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const register = join(here, '..', 'packages', 'greenpatch', 'dist', 'register.js');
const registerESM = pathToFileURL(join(here, '..', 'packages', 'greenpatch', 'dist', 'register.mjs')).href;
const HOOKED = ['hooked', 'hooked-all', 'hooked-import'];
const DEFAULT_MODULES = ['net', 'http', 'https', 'tls', 'dns', 'child-process', 'zlib', 'fs', 'crypto'];
const ALL_PATCHES = 'net,dns,http,https,child_process,fs,zlib,crypto,dgram,Atomics';

function parseArgs(argv) {
  const o = { suite: 'parallel', modules: DEFAULT_MODULES, jobs: 2, timeout: 60, modes: ['stock', 'hooked', 'hooked-all'] };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--modules') o.modules = value().split(',');
    else if (a === '--suite') o.suite = value();
    else if (a === '--match') o.match = new RegExp(value());
    else if (a === '--files') o.files = value().split(',');
    else if (a === '--from') o.from = value();
    else if (a === '--stock-from') o.stockFrom = value();
    else if (a === '--modes') {
      o.modes = value().split(',');
      for (const m of o.modes) if (m !== 'stock' && !HOOKED.includes(m)) throw new Error(`unknown mode ${m}`);
    }
    else if (a === '--jobs') o.jobs = Number(value());
    else if (a === '--timeout') o.timeout = Number(value());
    else if (a === '--json') o.json = value();
    else if (a === '--every') o.every = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else rest.push(a);
  }
  if (rest.length !== 1) throw new Error('usage: node scripts/node-tests.mjs <path to a Node checkout\'s test directory> [options]');
  o.testDir = resolve(rest[0]);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const parallel = join(opts.testDir, opts.suite);
if (!existsSync(join(opts.testDir, 'common', 'index.js')) || !existsSync(parallel)) {
  throw new Error(`${opts.testDir} has no common/index.js and ${opts.suite}/: give the test directory of a Node checkout`);
}
if (!existsSync(register)) throw new Error(`${register} is missing: build greenpatch first`);

function selectTests() {
  if (opts.files) return opts.files;
  if (opts.from) {
    const previous = JSON.parse(readFileSync(opts.from, 'utf8'));
    return previous.results.filter((r) => hookedOnlyFailures(r).length > 0).map((r) => r.file);
  }
  const prefix = new RegExp(`^test-(${opts.modules.join('|')})[-.]`);
  return readdirSync(parallel)
    .filter((f) => /\.(js|mjs|cjs)$/.test(f) && prefix.test(f))
    .filter((f) => !opts.match || opts.match.test(f))
    .sort();
}

// As Node's test runner reads them: every `// Flags:` line, split on spaces.
function flagsOf(file) {
  const source = readFileSync(join(parallel, file), 'utf8');
  const flags = [];
  for (const m of source.matchAll(/^\/\/ Flags:(.*)$/gm)) flags.push(...m[1].trim().split(/\s+/).filter(Boolean));
  return flags;
}

function commandFor(mode, file, flags) {
  const args = [...flags];
  const env = { ...process.env };
  delete env.GREENPATCH_PATCH;
  if (mode === 'hooked-import') args.push('--import', registerESM);
  else if (mode === 'stock-import') args.push('--import', 'data:text/javascript,');
  else if (mode !== 'stock') args.push('--require', register);
  if (mode === 'hooked-all') env.GREENPATCH_PATCH = ALL_PATCHES;
  args.push(join(parallel, file));
  return { args, env };
}

// Process groups of the runs under way, ended if this script is stopped.
const running = new Set();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const pid of running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {}
    }
    process.exit(1);
  });
}

// One run; slot keeps the tmpdir (test/.tmp.<id>) and common.PORT of
// concurrent runs apart, as Node's runner does with TEST_THREAD_ID.
function runOnce(mode, file, flags, slot) {
  const { args, env } = commandFor(mode, file, flags);
  env.TEST_THREAD_ID = String(slot);
  env.NODE_COMMON_PORT = String(12346 + 1000 * slot);
  return new Promise((resolveRun) => {
    const started = Date.now();
    const child = spawn(process.execPath, args, { cwd: resolve(opts.testDir, '..'), env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    running.add(child.pid);
    let stderr = '';
    child.stderr.on('data', (d) => {
      if (stderr.length < 8000) stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, opts.timeout * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      // A test's own children may outlive it: end its process group.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      resolveRun({ pass: code === 0 && !timedOut, code, signal, timedOut, ms: Date.now() - started, stderr: stderr.slice(-4000) });
    });
  });
}

function hookedOnlyFailures(r) {
  if (!r.stock?.pass) return [];
  return HOOKED.filter((m) => r[m] && !r[m].pass);
}

// Stderr lines a passing hooked run printed that the stock run did not.
const shape = (line) => line.replace(/\d+/g, 'N').trim();
function extraStderr(r) {
  if (!r.stock?.pass) return [];
  const stock = new Set(r.stock.stderr.split('\n').map(shape));
  const extra = [];
  for (const m of HOOKED) {
    if (!r[m]?.pass) continue;
    for (const line of r[m].stderr.split('\n')) if (line.trim() && !stock.has(shape(line))) extra.push(`${m}: ${line.trim()}`);
  }
  return extra;
}

const tests = selectTests();
const earlierStock = new Map();
if (opts.stockFrom) {
  for (const r of JSON.parse(readFileSync(opts.stockFrom, 'utf8')).results) if (r.stock) earlierStock.set(r.file, r.stock);
}
const results = [];
let next = 0;
let done = 0;
async function worker(slot) {
  while (next < tests.length) {
    const file = tests[next++];
    const flags = flagsOf(file);
    const r = { file, flags };
    for (const mode of opts.modes) {
      if (mode !== 'stock' && r.stock && !r.stock.pass && !opts.every) continue;
      if (mode === 'stock' && earlierStock.has(file)) r.stock = earlierStock.get(file);
      else r[mode] = await runOnce(mode, file, flags, slot);
    }
    if (r.stock?.pass && r['hooked-import'] && !r['hooked-import'].pass) {
      r['stock-import'] = await runOnce('stock-import', file, flags, slot);
    }
    results.push(r);
    done++;
    // One line per test as it ends, so a run cut short still tells.
    if (opts.json) appendFileSync(`${opts.json}.partial`, `${JSON.stringify(r)}\n`);
    const bad = hookedOnlyFailures(r);
    if (bad.length) console.log(`[${done}/${tests.length}] ${file}: fails ${bad.join(', ')} only`);
    else if (done % 50 === 0) console.log(`[${done}/${tests.length}]`);
  }
}
const startedAt = Date.now();
if (opts.json) writeFileSync(`${opts.json}.partial`, '');
await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, (_, i) => worker(i + 1)));
results.sort((a, b) => a.file.localeCompare(b.file));

const count = (pred) => results.filter(pred).length;
console.log(`\n${results.length} tests from ${parallel} on Node ${process.version}, ${opts.jobs} at a time, ${opts.timeout} s each, ${Math.round((Date.now() - startedAt) / 1000)} s`);
console.log('| mode | passed | failed hooked-only |');
console.log('| --- | --- | --- |');
for (const mode of opts.modes) {
  const passed = count((r) => r[mode]?.pass);
  const only = mode === 'stock' ? '' : String(count((r) => r.stock?.pass && r[mode] && !r[mode].pass));
  console.log(`| ${mode} | ${passed} | ${only} |`);
}
const importToo = count((r) => r['stock-import'] && !r['stock-import'].pass);
if (importToo) console.log(`(${importToo} of the hooked-import failures fail stock too with an empty --import: marked [any --import])`);
const failures = results.filter((r) => hookedOnlyFailures(r).length > 0);
if (failures.length) {
  console.log('\nPassed stock, failed hooked:');
  for (const r of failures) {
    const bad = hookedOnlyFailures(r);
    const first = r[bad[0]];
    const why = first.timedOut ? 'timed out' : `exit ${first.code ?? first.signal}`;
    const line = first.stderr.split('\n').find((l) => /Error|assert|expected|Mismatch|code/i.test(l)) ?? '';
    const importNote = r['stock-import'] && !r['stock-import'].pass ? ' [any --import]' : '';
    console.log(`- ${r.file} [${bad.join(', ')}]${importNote} ${why}: ${line.trim().slice(0, 160)}`);
  }
}
const noisy = results.filter((r) => extraStderr(r).length > 0);
if (noisy.length) {
  console.log('\nPassed both ways, but printed on stderr hooked only:');
  for (const r of noisy) console.log(`- ${r.file}: ${extraStderr(r)[0].slice(0, 160)}`);
}
if (opts.json) writeFileSync(opts.json, JSON.stringify({ node: process.version, testDir: opts.testDir, modes: opts.modes, results }, null, 1));
