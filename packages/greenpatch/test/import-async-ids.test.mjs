// Under `--import greenpatch/register` the entry runs in the main green
// thread from the preload's evaluation, a promise job whose async id is 0.
// What the entry sees of async ids and AsyncLocalStorage must be what it
// sees stock, and entering the green thread there must not reach Node's
// async-id stack through node:inspector (which loads worker_threads and
// stream: milliseconds of every start): the engine learns from the preload
// that the stack is empty there (@greenpatch/fibers' async-ids.ts).
import test from 'ava';
import { runFixture as run } from './helpers/run-fixture.mjs';

test.beforeEach((t) => t.timeout(40_000));

const noop = './noop.mjs';
const reach = ['NativeModule inspector', 'NativeModule worker_threads'];

async function observe(args, cwdArgs) {
  const r = await run([...args, ...cwdArgs]);
  if (r.code !== 0 || r.stderr !== '') throw new Error(`node ${args.join(' ')}: ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Node 20 runs a CommonJS entry's import after the preloads' ticks when the
// hook runs it (a difference older than this test, not about async ids):
// there only the entry's own lines are compared in order.
const cjsOrderDiffers = !('registerHooks' in (await import('node:module')).default);

for (const entry of ['async-ids/observe.mjs', 'async-ids/observe.js']) {
  for (const preloads of [[], ['--import', './async-ids/store-preload.mjs']]) {
    const label = `${entry}${preloads.length ? ' after a preload entering an AsyncLocalStorage store' : ''}`;
    test(`the entry sees the async ids and store it sees stock, and the inspector is not reached (${label})`, async (t) => {
      const stock = await observe([...preloads, '--import', noop], [entry]);
      const hooked = await observe([...preloads, '--import', 'greenpatch/register'], [entry]);
      const own = (log) => log.filter((line) => !line.startsWith('preload '));
      if (cjsOrderDiffers && entry.endsWith('.js') && preloads.length) t.deepEqual(own(hooked.log), own(stock.log));
      else t.deepEqual(hooked.log, stock.log);
      t.deepEqual(hooked.unordered, stock.unordered);
      t.deepEqual(stock.modules, []);
      t.deepEqual(hooked.modules, []);
    });
  }
}

// `--require greenpatch/register --import other`: Node's runMain evaluates
// the --import modules, then loads the entry in a promise job, where the
// hook runs it (entry-after-imports.ts); the engine learns the empty stack
// there. An ES entry goes through the stand-in module of module hooks; on
// Node 20 those are module.register's, whose hooks thread loads
// worker_threads (not the inspector).
for (const entry of ['async-ids/observe.mjs', 'async-ids/observe.js']) {
  test(`under --require with another --import, the entry sees what it sees stock and the inspector is not reached (${entry})`, async (t) => {
    const stock = await observe(['--import', noop], [entry]);
    const hooked = await observe(['--require', 'greenpatch/register', '--import', noop], [entry]);
    t.deepEqual(hooked.log, stock.log);
    t.deepEqual(hooked.unordered, stock.unordered);
    t.deepEqual(stock.modules, []);
    const hooksThread = cjsOrderDiffers && entry.endsWith('.mjs');
    t.deepEqual(hooked.modules, hooksThread ? ['NativeModule worker_threads'] : []);
  });
}

test('after a preload that ends between two immediates, the entry sees what it sees stock, and the engine reaches the stack where it must', async (t) => {
  // scope-probe.mjs is evaluated just before greenpatch/register, in the same run of promise jobs.
  const preloads = ['--import', './async-ids/between-immediates.mjs', '--import', './async-ids/scope-probe.mjs'];
  const stock = await observe([...preloads, '--import', noop], ['async-ids/observe.mjs']);
  const hooked = await observe([...preloads, '--import', 'greenpatch/register'], ['async-ids/observe.mjs']);
  t.deepEqual(hooked.log, stock.log);
  t.deepEqual(hooked.unordered, stock.unordered);
  // Where Node loads ES modules synchronously (22+), the preloads after the
  // first are evaluated between the immediates, on top of the process object's
  // scope (id 0): the engine cannot tell it from a scope it could meet
  // again, and reaches Node's stack before the entry starts. Node 20 loads
  // them asynchronously, and evaluates them on an empty stack.
  if (hooked.log.includes('probe process scope')) t.deepEqual(hooked.modules.sort(), [...reach].sort());
  else t.deepEqual(hooked.modules, []);
});

test('an ES entry blocking at its top level reaches the inspector only when it blocks inside an async scope', async (t) => {
  const r = await run(['--import', 'greenpatch/register', 'async-ids/block-at-top.mjs']);
  t.is(r.stderr, '');
  t.is(r.code, 0);
  const out = JSON.parse(r.stdout);
  // The top level's id, as stock (after a block it is the resumer's, as in any fiber at its base).
  t.is(out.ids[0], 0);
  // (The greenpatch package itself loads worker_threads.)
  t.false(out.beforeScope.includes('NativeModule inspector'));
  t.true(out.inScope);
  t.true(out.afterScope.includes('NativeModule inspector'));
});
