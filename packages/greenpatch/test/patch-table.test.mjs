// The patch table is data: reading it (patchNames, isPatched, parsing
// GREENPATCH_PATCH) loads none of the green modules it names.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

test('isPatched and patchNames load no green module; patch() loads only what it applies, a builtin when it loads', (t) => {
  const script = `
    const gp = require('greenpatch');
    const loaded = () => Object.keys(require.cache).filter((f) => /[\\\\/]green[\\\\/][a-z_]+\\.js$/.test(f)).map((f) => f.replace(/.*[\\\\/]/, '')).sort();
    const before = loaded();
    const names = gp.patchNames();
    const states = names.map((n) => gp.isPatched(n));
    const afterReading = loaded();
    const zlibLoaded = () => process.moduleLoadList.includes('NativeModule zlib');
    const zlibBefore = zlibLoaded();
    gp.patch({ zlib: true });
    const afterPatch = loaded().filter((f) => !before.includes(f));
    const armed = gp.isPatched('zlib');
    const zlibAfterPatch = zlibLoaded();
    const gzipSync = require('node:zlib').gzipSync;
    const afterLoad = loaded().filter((f) => !before.includes(f));
    const replaced = gzipSync !== gp.getOriginal('zlib', 'gzipSync');
    console.log(JSON.stringify({ before, states, afterReading, zlibBefore, afterPatch, armed, zlibAfterPatch, afterLoad, replaced }));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: packageDir, encoding: 'utf8', timeout: 30_000 });
  t.is(r.stderr, '');
  const out = JSON.parse(r.stdout);
  t.true(out.states.every((s) => s === false));
  t.false(out.before.includes('child_process.js'));
  t.false(out.before.includes('fs.js'));
  t.deepEqual(out.afterReading, out.before);
  // zlib is not loaded yet: patch() arms its entry and loads neither zlib nor green/zlib.js...
  t.false(out.zlibBefore);
  t.deepEqual(out.afterPatch, []);
  t.true(out.armed);
  t.false(out.zlibAfterPatch);
  // ...which the program's first require of zlib then loads and applies.
  t.deepEqual(out.afterLoad, ['zlib.js']);
  t.true(out.replaced);
});

test('an unknown patch name is a coded error', async (t) => {
  const { isPatched, patch } = await import('greenpatch');
  t.is(t.throws(() => isPatched('nope')).code, 'ERR_GREENPATCH_UNKNOWN_PATCH');
  t.is(t.throws(() => patch({ nope: true })).code, 'ERR_GREENPATCH_UNKNOWN_PATCH');
});
