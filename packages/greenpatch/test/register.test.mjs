// `node --require greenpatch/register` and `node --import greenpatch/register`:
// patching at start-up, the entry (CJS or ESM) in the main green thread,
// GREENPATCH_PATCH, and programs that never block behaving exactly as without
// the hook (stdout, stderr, exit code). Each case is a child process.
import test from 'ava';
import { runFixture as run } from './helpers/run-fixture.mjs';

test.beforeEach((t) => t.timeout(40_000));

for (const flag of ['--require', '--import']) {
  // The same program without greenpatch: under --import Node loads even a CJS
  // entry through its ESM loader, so the baseline has a preload too.
  const baseline = (file) => run(flag === '--import' ? ['--import', './noop.mjs', file] : [file]);

  test(`${flag}: a CJS entry blocks at top level in the main green thread`, async (t) => {
    const r = await run([flag, 'greenpatch/register', 'blockcjs.js']);
    t.is(r.stderr, '');
    t.is(r.stdout, 'cjs got hi! main true\n');
    t.is(r.code, 0);
  });

  test(`${flag}: an ESM entry blocks at top level in the main green thread`, async (t) => {
    const r = await run([flag, 'greenpatch/register', 'blockesm.mjs']);
    t.is(r.stderr, '');
    t.regex(r.stdout, /^esm got hi! main file:\/\/.*\/blockesm\.mjs\n$/);
    t.is(r.code, 0);
  });

  test(`${flag}: top-level getSync against a green server with a blocking handler`, async (t) => {
    const r = await run([flag, 'greenpatch/register', 'blocking-main.mjs']);
    t.is(r.stderr, '');
    t.is(r.stdout, '200 blocking handler /top main\n');
  });

  test(`${flag}: an ESM entry with top-level await runs as Node runs it`, async (t) => {
    const r = await run([flag, 'greenpatch/register', 'tla.mjs']);
    t.is(r.stderr, '');
    t.is(r.stdout, 'tla ok\n');
  });

  test(`${flag}: a program that never blocks behaves exactly as without the hook (CJS)`, async (t) => {
    const stock = await baseline('quiet.js');
    const hooked = await run([flag, 'greenpatch/register', 'quiet.js']);
    t.is(stock.code, 3);
    t.deepEqual(hooked, stock);
  });

  test(`${flag}: a program that never blocks behaves exactly as without the hook (ESM)`, async (t) => {
    const stock = await baseline('quiet.mjs');
    const hooked = await run([flag, 'greenpatch/register', 'quiet.mjs']);
    t.is(stock.stdout, 'pong true\n');
    t.deepEqual(hooked, stock);
  });

  test(`${flag}: an entry that throws at once fails as without the hook`, async (t) => {
    const stock = await baseline('throws.js');
    const hooked = await run([flag, 'greenpatch/register', 'throws.js']);
    t.is(hooked.code, stock.code);
    t.is(hooked.code, 1);
    t.regex(hooked.stderr, /Error: boom/);
  });

  test(`${flag}: an entry that throws after blocking exits 1 with the error`, async (t) => {
    const r = await run([flag, 'greenpatch/register', 'throws-late.js']);
    t.is(r.code, 1);
    t.regex(r.stderr, /Error: late boom/);
  });

  test(`${flag}: a missing entry fails as without the hook`, async (t) => {
    const stock = await baseline('missing.js');
    const hooked = await run([flag, 'greenpatch/register', 'missing.js']);
    t.is(hooked.code, stock.code);
    t.regex(hooked.stderr, /Cannot find module/);
  });

  test(`${flag}: GREENPATCH_PATCH narrows the set`, async (t) => {
    const all = await run([flag, 'greenpatch/register', 'narrow.js']);
    t.is(all.stdout, 'net=true dns=true http=true https=true\n');
    const some = await run([flag, 'greenpatch/register', 'narrow.js'], { GREENPATCH_PATCH: 'net,dns' });
    t.is(some.stdout, 'net=true dns=true http=false https=false\n');
    const none = await run([flag, 'greenpatch/register', 'narrow.js'], { GREENPATCH_PATCH: 'none' });
    t.is(none.stdout, 'net=false dns=false http=false https=false\n');
  });
}

test('both flags at once are the same as one', async (t) => {
  const r = await run(['--require', 'greenpatch/register', '--import', 'greenpatch/register', 'blockesm.mjs']);
  t.is(r.stderr, '');
  t.regex(r.stdout, /^esm got hi! main /);
});
