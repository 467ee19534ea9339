// importPatched(): green builtins for one module graph, nothing else touched.
import test from 'ava';
import { createRequire } from 'node:module';
import { spawn } from 'greenpatch';
import { greenModuleNames, importPatched, importPatchedAsync } from '@greenpatch/import-patched';

const require = createRequire(import.meta.url);

test('every builtin greenpatch has a green version of is available', (t) => {
  const names = greenModuleNames();
  for (const name of ['net', 'dns', 'http', 'https']) t.true(names.includes(name), name);
});

test('a CommonJS chain (A requires B requires dns) sees green builtins', (t) => {
  const a = importPatched('./fixtures/chain/a.cjs');
  t.true(a.b.dnsIsGreen);
  t.true(a.netIsGreen);
  t.deepEqual(a.data, { answer: 42 });
});

test('the rest of the process is untouched', (t) => {
  importPatched('./fixtures/chain/a.cjs');
  t.is(typeof require('net').connectSync, 'undefined');
  t.is(typeof require('node:dns').lookupSync, 'undefined');
  const plain = require('./fixtures/chain/a.cjs');
  t.false(plain.b.dnsIsGreen);
  t.false(plain.netIsGreen);
  t.is(require('./fixtures/chain/a.cjs'), plain);
  t.not(importPatched('./fixtures/chain/a.cjs'), plain);
});

test('options.modules chooses the set', (t) => {
  const a = importPatched('./fixtures/chain/a.cjs', { modules: ['node:dns'] });
  t.true(a.b.dnsIsGreen);
  t.false(a.netIsGreen);
  t.throws(() => importPatched('./fixtures/chain/a.cjs', { modules: ['path'] }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => importPatched('./fixtures/chain/a.cjs', { modules: 'dns' }), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('each call loads fresh instances unless options.cache asks for reuse', (t) => {
  const one = importPatched('./fixtures/chain/a.cjs');
  const two = importPatched('./fixtures/chain/a.cjs');
  t.not(one, two);
  t.not(one.instance, two.instance);
  const cachedOne = importPatched('./fixtures/chain/a.cjs', { cache: true });
  const cachedTwo = importPatched('./fixtures/chain/a.cjs', { cache: true });
  t.is(cachedOne, cachedTwo);
  // A cache is per set of modules.
  t.not(importPatched('./fixtures/chain/a.cjs', { cache: true, modules: ['dns'] }), cachedOne);
});

test('options.parent resolves from another place', (t) => {
  const a = importPatched('./chain/a.cjs', { parent: new URL('./fixtures/anything.js', import.meta.url) });
  t.true(a.b.dnsIsGreen);
  const b = importPatched('./b.cjs', { parent: new URL('./fixtures/chain/x.js', import.meta.url).pathname });
  t.true(b.dnsIsGreen);
});

test('circular requires behave as in Node', (t) => {
  const one = importPatched('./fixtures/circular/one.cjs');
  t.is(one.sawTwo, 'two');
  t.is(one.twoSawOne, 'one');
});

test('a dependency chain through a native addon', (t) => {
  const m = importPatched('./fixtures/chain/addon.cjs');
  t.is(typeof m.net.connectSync, 'function');
  t.is(m.Fiber(() => 'ran').run(), 'ran');
});

test('a specifier that does not resolve throws MODULE_NOT_FOUND naming it', (t) => {
  const error = t.throws(() => importPatched('./fixtures/no-such-module.cjs'), { code: 'MODULE_NOT_FOUND' });
  t.regex(error.message, /no-such-module/);
  t.throws(() => importPatched('definitely-not-installed-pkg'), { code: 'MODULE_NOT_FOUND' });
  t.throws(() => importPatched(''), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('a module that throws while loading leaves nothing half-registered', (t) => {
  t.throws(() => importPatched('./fixtures/chain/throws.cjs', { cache: true }), { message: 'failed while loading' });
  const before = globalThis.__bLoads;
  // The failed graph was dropped: B is loaded again, not taken from it.
  const b = importPatched('./fixtures/chain/b.cjs', { cache: true });
  t.is(globalThis.__bLoads, before + 1);
  t.true(b.dnsIsGreen);
});

test('ESM: a graph of modules, and CommonJS under it, sees green builtins', async (t) => {
  const ns = await importPatchedAsync('./fixtures/esm/entry.mjs');
  t.true(ns.dnsIsGreen);
  t.true(ns.namespaceIsGreen);
  t.true(ns.namedLookupIsGreens);
  t.true(ns.netIsGreen);
  t.true(ns.cjsDnsIsGreen);
  t.true(ns.cjsDefault.dnsIsGreen);
  const plain = await import('./fixtures/esm/entry.mjs');
  t.false(plain.dnsIsGreen);
  t.false(plain.netIsGreen);
  t.false(plain.cjsDnsIsGreen);
  t.not(plain.instance, ns.instance);
});

test('ESM: fresh instances per call, shared with options.cache', async (t) => {
  const one = await importPatchedAsync('./fixtures/esm/entry.mjs');
  const two = await importPatchedAsync('./fixtures/esm/entry.mjs');
  t.not(one.instance, two.instance);
  const c1 = await importPatchedAsync('./fixtures/esm/entry.mjs', { cache: true });
  const c2 = await importPatchedAsync('./fixtures/esm/entry.mjs', { cache: true });
  t.is(c1.instance, c2.instance);
});

test('ESM: a module that throws while loading rejects with its error', async (t) => {
  await t.throwsAsync(importPatchedAsync('./fixtures/esm/throws.mjs'), { message: 'esm failed while loading' });
});

test('ESM: importPatched() blocks a green thread, and refuses to block the hub', async (t) => {
  t.throws(() => importPatched('./fixtures/esm/entry.mjs'), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  const thread = spawn(() => importPatched('./fixtures/esm/entry.mjs').netIsGreen);
  t.true(await new Promise((resolve, reject) => thread.link((g) => (g.successful() ? resolve(g.value) : reject(g.exception)))));
});
