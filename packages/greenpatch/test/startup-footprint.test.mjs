// What greenpatch/register costs a program at start-up, counted rather than
// timed (the times are in bench/startup.bench.mjs): an empty program under
// the hook loads no builtin that it does not load stock, save those listed
// below with the reason, a bounded set of files, and of greenpatch's
// modules only those it runs for every program.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { spawnCountingModules } from './helpers/module-runs.mjs';

const require = createRequire(import.meta.url);
const cwd = fileURLToPath(new URL('fixtures/startup/', import.meta.url));
const register = require.resolve('greenpatch/register');
const { backend } = require('@greenpatch/fibers');

function run(preloads) {
  const args = ['--require', './report-start.cjs', ...preloads.flatMap((p) => ['--require', p]), 'empty.cjs'];
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 || r.stderr !== '') throw new Error(`node ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Loaded by the hook where stock Node may not load them, and why.
const justified = new Set([
  // Node's CommonJS resolver loads these to resolve a package through its
  // "exports" map (greenpatch/register, @greenpatch/fibers); Node 24+ loads
  // them at start itself.
  'internal/modules/esm/package_config',
  'internal/modules/esm/formats',
  'internal/modules/esm/get_format',
  'internal/modules/esm/resolve',
  // The channels of green-thread events (threadChannels) exist from the
  // start; Node 22+ loads diagnostics_channel at start itself.
  'diagnostics_channel',
  // Node 22+ loads AsyncLocalStorage when first asked for: context-arming.ts
  // asks at start which kind it is (async_hooks state, or V8's continuation
  // data on 24+), to know whether async hooks must be watched from the
  // start, before the program enables one.
  'internal/async_local_storage/async_hooks',
  'internal/async_local_storage/async_context_frame',
  'internal/async_local_storage/run_scope',
  // greenpatch's start-up bundle is compiled with V8's code cache written
  // at install (src/boot/code-cache.ts), through vm.Script: vm
  // costs far less than compiling the bundle (loaded only with a cache).
  'vm',
]);

test('an empty program under --require greenpatch/register loads no builtin stock Node does not, save those justified', (t) => {
  const stock = new Set(run([]).builtins);
  const hooked = run([register]).builtins;
  // The threads backend routes two tls functions to Node's own thread
  // (fibers' home-calls.ts): it loads tls, and node:module to refresh tls's ES exports.
  const byThreads = backend === 'threads' ? new Set(run(['node:tls', 'node:module']).builtins) : new Set();
  const extra = hooked.filter((id) => !stock.has(id) && !justified.has(id) && !byThreads.has(id));
  t.deepEqual(extra, []);
  for (const id of ['inspector', 'worker_threads', 'os', 'stream', 'module', 'net', 'zlib', 'crypto', 'child_process']) {
    if (!byThreads.has(id)) t.false(hooked.includes(id), id);
  }
});

test('an empty program under --require greenpatch/register loads a bounded set of files, and runs only the start-up modules', (t) => {
  const stock = new Set(run([]).files);
  const files = run([register]).files.filter((f) => !stock.has(f));
  const own = files.map((f) => f.replace(/.*[\\/]packages[\\/]/, '').replace(/\\/g, '/'));
  // The threads backend loads tls (and so net) at start (see above): the
  // net patch then applies at once, with its green modules.
  const threads = backend === 'threads';
  // greenpatch: the stub it is required by, the loader of its bundles
  // (V8's code cache) and the bundle of what it runs for every program
  // (scripts/bundle-dist.mjs); @greenpatch/fibers: its stub and bundle,
  // and the addon.
  if (!threads) {
    t.deepEqual(
      own.filter((f) => f.startsWith('greenpatch/')),
      ['greenpatch/dist/register.js', 'greenpatch/dist/boot/code-cache.js', 'greenpatch/dist/runtime-start.js'],
      'built with `pnpm build` (tsc alone leaves the runtime unbundled)?',
    );
  }
  t.deepEqual(
    // (the bundle first when greenpatch loads it from V8's code cache)
    own.filter((f) => f.startsWith('fibers/')).map((f) => (f.endsWith('.node') ? 'the addon' : f)).sort(),
    ['fibers/dist/index.js', 'fibers/dist/runtime-start.js', 'the addon'],
  );
  t.true(own.length <= (threads ? 13 : 6), own.join('\n'));
  t.is(own.length, files.length);

  // Of the modules inside the bundle, those for diagnostics, errors and
  // other builtins are left to when they are first needed.
  const { result, modules } = spawnCountingModules(['--require', register, 'empty.cjs'], { cwd });
  t.is(result.stderr, '');
  t.true(modules.includes('hub.js') && modules.includes('register.js'), modules.join(' '));
  for (const lazy of ['monitor.js', 'dump-signal.js', 'run-info.js', 'await-hint.js', 'caller-stack.js', 'pool.js', 'queue.js', 'index.js']) {
    t.false(modules.includes(lazy), lazy);
  }
  if (threads) return;
  const green = modules.filter((m) => m.startsWith('green/') || m.startsWith('integrations/'));
  t.deepEqual(green, [
    'green/atomics.js',
    'green/internal/cooperative.js',
    'green/internal/fs-sync.js',
    'green/internal/like-original.js',
    'green/internal/listener-failure.js',
    'green/internal/runtime.js',
  ]);
});
