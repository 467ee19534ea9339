// The patch table is data: reading it (patchNames, isPatched, parsing
// GREENPATCH_PATCH) loads none of the green modules it names.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnCountingModules } from './helpers/module-runs.mjs';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

test('isPatched and patchNames load no green module; patch() loads only what it applies, a builtin when it loads', (t) => {
  // Each step prints the green modules run so far (coverage counts them when the child exits).
  const steps = ['before', 'afterReading', 'afterPatch', 'afterLoad'];
  const run = (upTo) => {
    const script = `
      const gp = require('greenpatch');
      const out = {};
      const zlibLoaded = () => process.moduleLoadList.includes('NativeModule zlib');
      const step = (name) => { if (name === ${JSON.stringify(upTo)}) { console.log(JSON.stringify(out)); process.exit(0); } };
      step('before');
      out.states = gp.patchNames().map((n) => gp.isPatched(n));
      step('afterReading');
      out.zlibBefore = zlibLoaded();
      gp.patch({ zlib: true });
      out.armed = gp.isPatched('zlib');
      out.zlibAfterPatch = zlibLoaded();
      step('afterPatch');
      const gzipSync = require('node:zlib').gzipSync;
      out.replaced = gzipSync !== gp.getOriginal('zlib', 'gzipSync');
      step('afterLoad');
    `;
    const { result, modules } = spawnCountingModules(['-e', script], { cwd: packageDir });
    t.is(result.stderr, '');
    return { out: JSON.parse(result.stdout), green: modules.filter((m) => /^green\/[a-z_]+\.js$/.test(m)) };
  };
  const [before, afterReading, afterPatch, afterLoad] = steps.map(run);
  t.false(before.green.includes('green/child_process.js'));
  t.false(before.green.includes('green/fs.js'));
  t.true(afterReading.out.states.every((s) => s === false));
  t.deepEqual(afterReading.green, before.green);
  // zlib is not loaded yet: patch() arms its entry and loads neither zlib nor green/zlib.js...
  t.false(afterPatch.out.zlibBefore);
  t.deepEqual(afterPatch.green, before.green);
  t.true(afterPatch.out.armed);
  t.false(afterPatch.out.zlibAfterPatch);
  // ...which the program's first require of zlib then loads and applies.
  t.deepEqual(afterLoad.green.filter((m) => !before.green.includes(m)), ['green/zlib.js']);
  t.true(afterLoad.out.replaced);
});

test('an unknown patch name is a coded error', async (t) => {
  const { isPatched, patch } = await import('greenpatch');
  t.is(t.throws(() => isPatched('nope')).code, 'ERR_GREENPATCH_UNKNOWN_PATCH');
  t.is(t.throws(() => patch({ nope: true })).code, 'ERR_GREENPATCH_UNKNOWN_PATCH');
});
