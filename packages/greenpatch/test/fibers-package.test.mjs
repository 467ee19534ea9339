// greenpatch requires @greenpatch/fibers by its path where Node's own search
// would end at that file (src/fibers-package.ts), and by name otherwise.
// Here the two packages are copied into npm's layouts; a preload records
// every request Node's CommonJS resolver gets, so each case shows which way
// greenpatch took, and the program checks that it shares greenpatch's
// instance of the engine.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const greenpatchDir = dirname(require.resolve('greenpatch/package.json'));
const fibersDir = dirname(require.resolve('@greenpatch/fibers/package.json'));

function copyPackage(from, to, parts, editManifest = (m) => m) {
  mkdirSync(to, { recursive: true });
  for (const part of parts) cpSync(join(from, part), join(to, part), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  writeFileSync(join(to, 'package.json'), JSON.stringify(editManifest(manifest), null, 2));
}

const copyGreenpatch = (to) => copyPackage(greenpatchDir, to, ['dist']);
const copyFibers = (to, edit) => copyPackage(fibersDir, to, ['dist', 'prebuilds'], edit);

// Records the requests, then (at exit) prints them with the engine files
// loaded and whether the program's engine is greenpatch's.
const recorder = `
const Module = module.constructor;
const original = Module._resolveFilename;
const requests = [];
Module._resolveFilename = function (request, ...rest) {
  // The package by name, or its main module by path (not its own files' requests).
  if (request === '@greenpatch/fibers' || /@greenpatch[\\\\/]fibers[\\\\/]dist[\\\\/]index\\.js$/.test(request)) requests.push(request);
  return Reflect.apply(original, this, [request, ...rest]);
};
process.on('exit', () => {
  const engines = Object.keys(require.cache).filter((f) => /fibers[\\\\/]dist[\\\\/]index\\.js$/.test(f));
  process.stdout.write(JSON.stringify({ requests, engines, shared: globalThis.sharedEngine }));
});
`;
// The program's own engine runs a greenpatch green thread's fiber.
const app = `
const greenpatch = require('greenpatch');
const Fiber = require('@greenpatch/fibers');
let seen;
greenpatch.spawn(() => { seen = Fiber.current; }).wait();
globalThis.sharedEngine = seen instanceof Fiber;
`;

// greenpatch alone (two copies of the engine's addon in one process are not a case to test).
const greenpatchOnly = `require('greenpatch').spawn(() => {}).wait();`;

function runIn(root, program = app) {
  writeFileSync(join(root, 'record.cjs'), recorder);
  writeFileSync(join(root, 'app.cjs'), program);
  const r = spawnSync(process.execPath, ['--require', './record.cjs', '--require', 'greenpatch/register', 'app.cjs'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0 || r.stderr !== '') throw new Error(`exit ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function inTempDir(t, body) {
  const root = mkdtempSync(join(tmpdir(), 'greenpatch-fibers-layout-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return body(root);
}

const byPath = (requests) => requests.filter((r) => r !== '@greenpatch/fibers');

test('hoisted beside greenpatch (npm): by its path, one engine', (t) =>
  inTempDir(t, (root) => {
    copyGreenpatch(join(root, 'node_modules/greenpatch'));
    copyFibers(join(root, 'node_modules/@greenpatch/fibers'));
    const { requests, engines, shared } = runIn(root);
    const main = join(root, 'node_modules/@greenpatch/fibers/dist/index.js');
    // greenpatch's first require is by path; the program's own, by name.
    t.is(requests[0], main);
    t.deepEqual(engines, [main]);
    t.true(shared);
  }));

test('nested under greenpatch, another copy hoisted: the nested one, as Node would find it', (t) =>
  inTempDir(t, (root) => {
    copyGreenpatch(join(root, 'node_modules/greenpatch'));
    copyFibers(join(root, 'node_modules/greenpatch/node_modules/@greenpatch/fibers'));
    copyFibers(join(root, 'node_modules/@greenpatch/fibers'));
    const { requests, engines } = runIn(root, greenpatchOnly);
    const nested = join(root, 'node_modules/greenpatch/node_modules/@greenpatch/fibers/dist/index.js');
    // (Later requests by name are greenpatch's require.resolve when it first needs its own paths.)
    t.is(requests[0], nested);
    t.deepEqual(engines, [nested]);
  }));

test('an exports map it does not know: by name, through Node', (t) =>
  inTempDir(t, (root) => {
    copyGreenpatch(join(root, 'node_modules/greenpatch'));
    copyFibers(join(root, 'node_modules/@greenpatch/fibers'), (m) => ({
      ...m,
      exports: { ...m.exports, '.': { require: './dist/index.js', default: './dist/index.js' } },
    }));
    const { requests, engines, shared } = runIn(root);
    t.deepEqual(byPath(requests), []);
    t.deepEqual(engines, [join(root, 'node_modules/@greenpatch/fibers/dist/index.js')]);
    t.true(shared);
  }));

test('something else under @greenpatch/ nearer than the package: by name, through Node', (t) =>
  inTempDir(t, (root) => {
    copyGreenpatch(join(root, 'node_modules/greenpatch'));
    copyFibers(join(root, 'node_modules/@greenpatch/fibers'));
    // Not the package, but a directory Node looks into first.
    mkdirSync(join(root, 'node_modules/greenpatch/node_modules/@greenpatch/other'), { recursive: true });
    const { requests, engines, shared } = runIn(root);
    t.deepEqual(byPath(requests), []);
    t.deepEqual(engines, [join(root, 'node_modules/@greenpatch/fibers/dist/index.js')]);
    t.true(shared);
  }));
