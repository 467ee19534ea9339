// greenpatch's bundles load from V8's code cache written for this Node
// (src/boot/code-cache.ts), and from source whenever that cache does not fit.
// Each test works on its own copy of dist/, inside the package so that the
// copy's requires find the same dependencies.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
// runtime.js calls import(), which a function compiled from a cache could not: it has no cache.
// And the engine's bundle, whose cache greenpatch keeps under this name.
const CACHED = ['runtime-start.js', 'runtime-patches.js', 'fibers-runtime-start.js'];

function copyOfDist(t) {
  const dir = fs.mkdtempSync(path.join(pkg, '.code-cache-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dist = path.join(dir, 'dist');
  fs.cpSync(path.join(pkg, 'dist'), dist, {
    recursive: true,
    filter: (src) => !src.endsWith('.cache'),
  });
  return dist;
}

function node(args, options = {}) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000, ...options });
}

// As scripts/code-cache.mjs does it, for the copy: a hooked start that
// compiles the bundles and writes their caches at exit.
function writeCaches(dist, flags = []) {
  const entry = path.join(path.dirname(dist), 'start.cjs');
  fs.writeFileSync(entry, "require('node:net');\n");
  const r = node([...flags, '--require', path.join(dist, 'register.js'), entry], {
    env: { ...process.env, GREENPATCH_WRITE_CODE_CACHE: '1' },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return fs.readdirSync(dist).filter((f) => f.endsWith('.cache')).sort();
}

// A hooked program that blocks in its top level, uses a patched builtin and
// reports how each bundle was loaded.
function hookedRun(dist, flags = []) {
  const app = path.join(path.dirname(dist), 'app.js');
  fs.writeFileSync(
    app,
    `const { sleep, getCurrent } = require(${JSON.stringify(path.join(dist, 'index.js'))});
     const net = require('node:net');
     sleep(5);
     require(${JSON.stringify(path.join(dist, 'runtime.js'))});
     const outcomes = require(${JSON.stringify(path.join(dist, 'boot/code-cache.js'))}).loadOutcomes();
     console.log(JSON.stringify({ name: getCurrent().name, connectSync: typeof net.connectSync, outcomes }));`,
  );
  const r = node([...flags, '--require', path.join(dist, 'register.js'), app]);
  if (r.status !== 0 || r.stderr !== '') throw new Error(`${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('the bundles load from the cache written for this Node', (t) => {
  const dist = copyOfDist(t);
  const written = writeCaches(dist);
  t.deepEqual(written, CACHED.map((b) => `${b}.${process.version}-${process.arch}.cache`).sort());
  const run = hookedRun(dist);
  t.is(run.name, 'main');
  t.is(run.connectSync, 'function');
  // The patches file too, loaded when the program loaded net, and the
  // engine's bundle; runtime.js is required.
  t.deepEqual(run.outcomes, {
    'runtime-start.js': 'cache',
    'fibers-runtime-start.js': 'cache',
    'runtime-patches.js': 'cache',
    'runtime.js': 'require',
  });
});

test('without a cache, the bundles are required as before', (t) => {
  const dist = copyOfDist(t);
  const run = hookedRun(dist);
  t.is(run.name, 'main');
  t.is(run.connectSync, 'function');
  t.is(run.outcomes['runtime-start.js'], 'require');
});

test('a bundle rebuilt or edited after its cache was written is required, not run from the cache', (t) => {
  const dist = copyOfDist(t);
  writeCaches(dist);
  const file = path.join(dist, 'runtime-start.js');
  const later = new Date(fs.statSync(file).mtimeMs + 5000);
  fs.utimesSync(file, later, later);
  const run = hookedRun(dist);
  t.is(run.outcomes['runtime-start.js'], 'require');
  t.is(run.outcomes['runtime-patches.js'], 'cache');
});

test('a cache V8 refuses (written under other V8 flags) is compiled from source, and the program runs', (t) => {
  const dist = copyOfDist(t);
  writeCaches(dist, ['--no-lazy']);
  const run = hookedRun(dist);
  t.is(run.name, 'main');
  t.is(run.connectSync, 'function');
  t.is(run.outcomes['runtime-start.js'], 'rejected');
});

test('with source maps enabled the bundles are required, so that Node maps their stack traces', (t) => {
  const dist = copyOfDist(t);
  writeCaches(dist);
  const run = hookedRun(dist, ['--enable-source-maps']);
  t.is(run.outcomes['runtime-start.js'], 'require');
});

test('a cache file cut short or holding something else is never used', (t) => {
  const dist = copyOfDist(t);
  writeCaches(dist);
  const cache = path.join(dist, `runtime-start.js.${process.version}-${process.arch}.cache`);
  const whole = fs.readFileSync(cache);
  const header = whole.subarray(0, whole.indexOf(10) + 1);
  for (const [name, bytes] of [
    ['empty', Buffer.alloc(0)],
    ['header only', header],
    ['cut short', whole.subarray(0, Math.floor(whole.length / 2))],
    ['another format', Buffer.concat([Buffer.from('greenpatch code cache 0 1 2\n'), whole.subarray(header.length)])],
  ]) {
    fs.writeFileSync(cache, bytes);
    const run = hookedRun(dist);
    t.is(run.name, 'main', name);
    t.not(run.outcomes['runtime-start.js'], 'cache', name);
  }
});
