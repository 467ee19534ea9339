// `node --import greenpatch/register` with the other things a command line
// or an environment may hold: more --import preloads (before or after, on
// the command line or in NODE_OPTIONS), workers inheriting the flag, an ES
// module of no declared type, a missing entry. The preload runs the entry
// itself when it is the last --import, and leaves the rest to module hooks;
// either way the entry runs once, in the main green thread, after every
// preload.
import test from 'ava';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { runFixture as run } from './helpers/run-fixture.mjs';

test.beforeEach((t) => t.timeout(40_000));

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const greenpatchFrame = /packages\/(greenpatch|fibers)\/(src|dist)\/|node_modules\/(greenpatch|@greenpatch)\//;

for (const [file, expected] of [
  ['blockesm.mjs', /^marker preload ran\nesm got hi! main file:\/\/.*\/blockesm\.mjs\n$/],
  ['blockcjs.js', /^marker preload ran\ncjs got hi! main true\n$/],
]) {
  test(`another --import after greenpatch/register runs before the entry, which still runs once in the main green thread (${file})`, async (t) => {
    const r = await run(['--import', 'greenpatch/register', '--import', './marker.mjs', file]);
    t.is(r.stderr, '');
    t.regex(r.stdout, expected);
    t.is(r.code, 0);
  });

  test(`another --import before greenpatch/register (${file})`, async (t) => {
    const r = await run(['--import', './marker.mjs', '--import', 'greenpatch/register', file]);
    t.is(r.stderr, '');
    t.regex(r.stdout, expected);
    t.is(r.code, 0);
  });

  test(`--require greenpatch/register with an --import: the import runs, then the entry in the main green thread (${file})`, async (t) => {
    // Node's runMain evaluates --import modules: the entry runs from inside it, not in its place.
    const r = await run(['--require', 'greenpatch/register', '--import', './marker.mjs', file]);
    t.is(r.stderr, '');
    t.regex(r.stdout, expected);
    t.is(r.code, 0);
  });

  test(`greenpatch/register in NODE_OPTIONS, another --import on the command line (${file})`, async (t) => {
    const r = await run(['--import', './marker.mjs', file], { NODE_OPTIONS: '--import greenpatch/register' });
    t.is(r.stderr, '');
    t.regex(r.stdout, expected);
    t.is(r.code, 0);
  });
}

test('greenpatch/register named by path and twice: the entry runs once', async (t) => {
  const register = fileURLToPath(new URL('../dist/register.mjs', import.meta.url));
  const r = await run(['--import', register, '--import', 'greenpatch/register', 'blockesm.mjs']);
  t.is(r.stderr, '');
  t.regex(r.stdout, /^esm got hi! main file:\/\/.*\/blockesm\.mjs\n$/);
});

test('a worker inherits --import greenpatch/register: its script runs in its own main green thread', async (t) => {
  const r = await run(['--import', 'greenpatch/register', 'worker-entry.mjs']);
  t.is(r.stderr, '');
  t.deepEqual(r.stdout.split('\n').sort(), ['', 'entry in main', 'worker exit 0', 'worker in main']);
  t.is(r.code, 0);
});

test('an ES module in a .js file of no declared type blocks in the main green thread, with the warning stock Node gives', async (t) => {
  const stock = await run(['--import', './noop.mjs', 'typeless/main.js']);
  const hooked = await run(['--import', 'greenpatch/register', 'typeless/main.js']);
  t.is(hooked.stdout, 'typeless module in main ticks true\n');
  t.is(stock.stdout, 'typeless module in undefined ticks false\n');
  t.regex(stock.stderr, /MODULE_TYPELESS_PACKAGE_JSON/);
  t.is(hooked.stderr.replace(/\(node:\d+\)/, ''), stock.stderr.replace(/\(node:\d+\)/, ''));
  t.is(hooked.code, 0);
});

test('a CommonJS entry that throws at once is reported at its own line, without greenpatch frames', async (t) => {
  const stock = await run(['--import', './noop.mjs', 'entry-throws.cjs']);
  const hooked = await run(['--import', 'greenpatch/register', 'entry-throws.cjs']);
  t.is(hooked.code, stock.code);
  t.is(hooked.code, 1);
  t.true(hooked.stderr.startsWith(`${fixtures}entry-throws.cjs:3\n  if (!text) throw new TypeError(`), hooked.stderr);
  t.regex(hooked.stderr, /\nTypeError: empty config: ""\n    at parseConfig \(.*entry-throws\.cjs:3:\d+\)\n/);
  t.notRegex(hooked.stderr, greenpatchFrame);
});

test('a missing entry: the same exit code and error as without the hook', async (t) => {
  const stock = await run(['--import', './noop.mjs', 'missing.mjs']);
  const hooked = await run(['--import', 'greenpatch/register', 'missing.mjs']);
  t.is(hooked.code, stock.code);
  t.is(hooked.stdout, '');
  const firstLine = (text) => text.split('\n').find((line) => line.startsWith('Error'));
  t.is(firstLine(hooked.stderr), firstLine(stock.stderr));
  // Where Node has in-thread hooks, greenpatch's are among the resolver's frames.
  if (typeof module.registerHooks !== 'function') t.is(hooked.stderr, stock.stderr);
});

// Node 20's module.register starts a hooks thread, costlier at start-up than
// the whole hook should be: the last --import runs the entry without it.
(typeof module.registerHooks === 'function' ? test.skip : test)(
  'without module.registerHooks: no hooks thread when greenpatch/register is the last --import, one when another follows',
  async (t) => {
    const last = await run(['--import', './marker.mjs', '--import', 'greenpatch/register', 'hooks-thread.mjs']);
    t.is(last.stderr, '');
    t.is(last.stdout, 'marker preload ran\nhooks thread false, in main\n');
    const notLast = await run(['--import', 'greenpatch/register', '--import', './marker.mjs', 'hooks-thread.mjs']);
    t.is(notLast.stderr, '');
    t.is(notLast.stdout, 'marker preload ran\nhooks thread true, in main\n');
  },
);
