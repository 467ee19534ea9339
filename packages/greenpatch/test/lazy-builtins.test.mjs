// greenpatch/register loads no builtin that the program does not: each one
// the patch table covers is patched when the program first loads it, by
// require, by import, or by process.getBuiltinModule. Each program runs in a
// child process; what it loaded is Node's own record, process.moduleLoadList.
import test from 'ava';
import { execFile } from 'node:child_process';
import module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const fixtures = fileURLToPath(new URL('fixtures/lazy/', import.meta.url));
const hook = { '--require': require.resolve('greenpatch/register'), '--import': import.meta.resolve('greenpatch/register') };
// Every entry in the table that patches a builtin, the opt-in zlib and crypto included.
const everyBuiltin = 'net,dns,http,https,child_process,fs,zlib,crypto,dgram,Atomics';
// Node 20 has no in-thread module hooks: there an ES module's imports of
// builtins cannot be seen, and they are patched at start-up when ES modules run.
const importsSeen = typeof module.registerHooks === 'function';

function run(args, env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: fixtures, env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

test.beforeEach((t) => t.timeout(40_000));

const notLoaded = ['zlib', 'crypto', 'tls', 'http', 'https', 'net', 'dns', 'dgram', 'child_process'];

for (const [flag, entry] of [
  ['--require', 'empty.cjs'],
  ['--import', 'empty.mjs'],
]) {
  const lazy = flag === '--require' || importsSeen;
  test(`${flag} greenpatch/register with an empty entry loads ${lazy ? 'none' : 'all'} of ${notLoaded.join(', ')}`, async (t) => {
    const r = await run([flag, hook[flag], '--require', './report-loaded.cjs', entry], { GREENPATCH_PATCH: everyBuiltin });
    t.is(r.stderr, '');
    t.is(r.code, 0);
    const { builtins, backend } = JSON.parse(r.stdout);
    t.true(builtins.includes('fs'));
    // The threads backend of @greenpatch/fibers loads tls (and so net and
    // crypto) itself, to run two of its functions on Node's own OS thread.
    const byFibers = backend === 'threads' ? ['tls', 'net', 'crypto'] : [];
    for (const id of notLoaded) t.is(builtins.includes(id), !lazy || byFibers.includes(id), id);
  });
}

for (const way of ['require', 'import', 'getBuiltinModule']) {
  const title = `each builtin is patched by the time its first ${way === 'import' ? 'import()' : way} returns`;
  if (way === 'getBuiltinModule' && typeof process.getBuiltinModule !== 'function') {
    test.skip(`${title} (no process.getBuiltinModule on ${process.version})`, () => {});
    continue;
  }
  if (way === 'import' && !importsSeen) {
    // Node 20 under --require: the documented exception (docs/patching.md).
    test.skip(`${title} (no module.registerHooks on ${process.version})`, () => {});
    continue;
  }
  test(title, async (t) => {
    const r = await run(['--require', hook['--require'], 'probe.cjs', way], { GREENPATCH_PATCH: everyBuiltin });
    t.is(r.stderr, '');
    const out = JSON.parse(r.stdout);
    t.deepEqual(Object.keys(out).sort(), ['child_process', 'crypto', 'dgram', 'dns', 'http', 'https', 'net', 'tls', 'zlib']);
    for (const [id, { patched }] of Object.entries(out)) t.true(patched, id);
    // The first ones really were loaded by the probe, not by greenpatch.
    for (const id of ['zlib', 'dns', 'child_process']) t.false(out[id].loadedBefore, id);
  });
}

test('an ES entry under --import sees patched functions through its named imports of builtins', async (t) => {
  const r = await run(['--import', hook['--import'], 'probe-named-import.mjs'], { GREENPATCH_PATCH: 'child_process,zlib' });
  t.is(r.stderr, '');
  t.deepEqual(JSON.parse(r.stdout), { child_process: true, zlib: true });
});

test('an entry that loads only http gets net and http patched, and not the other builtins', async (t) => {
  const r = await run(
    ['--require', hook['--require'], '-e', `
      const http = require('node:http');
      // Before greenpatch's own API (which loads its green modules) is required.
      const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
      const emit = Object.getPrototypeOf(http.Server.prototype).emit;
      const own = http.Server.prototype.emit;
      const gp = require('greenpatch');
      const patched = [emit !== gp.getOriginal('net', 'Server.prototype.emit'), own !== gp.getOriginal('http', 'Server.prototype.emit')];
      console.log(JSON.stringify({ patched, builtins }));`],
    { GREENPATCH_PATCH: everyBuiltin },
  );
  t.is(r.stderr, '');
  const { patched, builtins } = JSON.parse(r.stdout);
  t.deepEqual(patched, [true, true]);
  for (const id of ['zlib', 'dns', 'dgram', 'child_process', 'https']) t.false(builtins.includes(id), id);
});

test('unpatch() of an armed builtin entry leaves the builtin stock when it loads', async (t) => {
  const r = await run(['-e', `
    const gp = require('greenpatch');
    gp.patch({ zlib: true });
    const armed = gp.isPatched('zlib');
    gp.unpatch('zlib');
    const zlib = require('node:zlib');
    const greenZlib = Object.keys(require.cache).some((f) => /[\\\\/]green[\\\\/]zlib\\.js$/.test(f));
    console.log(JSON.stringify({ armed, after: gp.isPatched('zlib'), greenZlib, loaded: typeof zlib.gzipSync === 'function' }));`]);
  t.is(r.stderr, '');
  t.deepEqual(JSON.parse(r.stdout), { armed: true, after: false, greenZlib: false, loaded: true });
});
