// Uncaught errors from the entry under greenpatch/register print as on stock
// Node: the user's file, line and source excerpt above the stack, and the
// stack without greenpatch's frames. A throwing entry's stderr is compared
// byte for byte with the same program run without the hook.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { runFixture as run } from './helpers/run-fixture.mjs';
import { deadPort } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(40_000));

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const greenpatchFrame = /packages\/(greenpatch|fibers)\/(src|dist)\/|node_modules\/(greenpatch|@greenpatch)\//;

test('--require: a CJS entry that throws prints the same bytes as without the hook', async (t) => {
  const stock = await run(['entry-throws.cjs']);
  const hooked = await run(['--require', 'greenpatch/register', 'entry-throws.cjs']);
  t.is(stock.code, 1);
  t.true(stock.stderr.startsWith(`${fixtures}entry-throws.cjs:3\n  if (!text) throw new TypeError(`));
  t.is(hooked.stderr, stock.stderr);
  t.is(hooked.stdout, stock.stdout);
  t.is(hooked.code, stock.code);
});

test('--import: an ES entry that throws prints the same bytes as without the hook', async (t) => {
  const stock = await run(['entry-throws.mjs']);
  const hooked = await run(['--import', 'greenpatch/register', 'entry-throws.mjs']);
  t.is(stock.code, 1);
  t.true(stock.stderr.startsWith(`file://${fixtures}entry-throws.mjs:3\n`));
  t.is(hooked.stderr, stock.stderr);
  t.is(hooked.stdout, stock.stdout);
  t.is(hooked.code, stock.code);
});

for (const [flag, file, location] of [
  ['--require', 'entry-throws-late.cjs', `${fixtures}entry-throws-late.cjs:5`],
  ['--import', 'entry-throws-late.mjs', `file://${fixtures}entry-throws-late.mjs:5`],
]) {
  test(`${flag}: an error thrown after the entry blocked is shown at the user's line`, async (t) => {
    const r = await run([flag, 'greenpatch/register', file]);
    t.is(r.code, 1);
    t.true(r.stderr.startsWith(`${location}\n  throw new Error('thrown after blocking');\n`), r.stderr);
    t.regex(r.stderr, /\nError: thrown after blocking\n    at later \(/);
    t.notRegex(r.stderr, greenpatchFrame);
  });
}

test('an uncaught error from a blocking call in the entry leads to the calling line, no greenpatch line shown', async (t) => {
  const port = await deadPort();
  const r = await run(['--require', 'greenpatch/register', 'entry-refused.cjs', String(port)]);
  t.is(r.code, 1);
  t.true(r.stderr.startsWith(`Error: connect ECONNREFUSED 127.0.0.1:${port}\n`), r.stderr);
  t.regex(r.stderr, /\n    at net\.connectSync\(\) \(blocking call in green thread main\)\n    at connectTo \(.*entry-refused\.cjs:4:\d+\)\n/);
  t.notRegex(r.stderr, greenpatchFrame);
});

test("an 'uncaughtException' listener handles the entry's error as on stock Node", async (t) => {
  const stock = await run(['entry-handled.cjs']);
  const hooked = await run(['--require', 'greenpatch/register', 'entry-handled.cjs']);
  t.is(stock.stdout, 'handled boom uncaughtException\nstill running\n');
  t.deepEqual(hooked, stock);
});

test('--require with an --import of another module: the CJS entry still runs in the main green thread', async (t) => {
  // Node's own runMain would load the entry through its ES module loader
  // here, asynchronously, outside the green thread.
  const r = await run(['--require', 'greenpatch/register', '--import', './noop.mjs', 'blockcjs.js']);
  t.is(r.stderr, '');
  t.is(r.stdout, 'cjs got hi! main true\n');
  t.is(r.code, 0);
});
