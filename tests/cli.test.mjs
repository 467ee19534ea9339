// The greenpatch command on one process: CommonJS and ES module programs in
// the main green thread, Node flags and program arguments passed through,
// NODE_OPTIONS=--require greenpatch/register inherited by child processes,
// --help, --version, and bad command lines (exit code 2).
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { linkGreenpatch } from './fixtures/link-greenpatch.mjs';

linkGreenpatch();

const cli = fileURLToPath(new URL('../packages/greenpatch/dist/cli/main.js', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const version = JSON.parse(readFileSync(new URL('../packages/greenpatch/package.json', import.meta.url))).version;

function run(args, env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: fixtures, env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

test.beforeEach((t) => t.timeout(40_000));

test('a CommonJS program runs in the main green thread with its arguments', async (t) => {
  const r = await run([cli, 'cli-child.js', 'a', '--b']);
  t.is(r.stderr, '');
  t.is(r.stdout, 'parent main a,--b\n');
  t.is(r.code, 0);
});

test('an ES module program with Node flags before it', async (t) => {
  const r = await run([cli, '--max-old-space-size=100', '--stack-size=900', '-C', 'custom', 'cli-esm.mjs', 'x']);
  t.is(r.stderr, '');
  t.is(r.stdout, 'esm main true x\n');
});

test('a child node process of a program under the command runs greenpatch too', async (t) => {
  const r = await run([cli, 'cli-child.js', 'spawn']);
  t.is(r.stdout, 'parent main spawn\nchild main child\n');
});

test('NODE_OPTIONS=--require greenpatch/register reaches child processes', async (t) => {
  const r = await run(['cli-child.js', 'spawn'], { NODE_OPTIONS: '--require greenpatch/register' });
  t.is(r.stdout, 'parent main spawn\nchild main child\n');
});

test('--help and --version', async (t) => {
  const help = await run([cli, '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /^Usage: greenpatch \[options\]/);
  t.regex(help.stdout, /--workers <n\|auto>/);
  const v = await run([cli, '--version']);
  t.is(v.stdout, `greenpatch ${version} (node ${process.version})\n`);
});

for (const [args, message] of [
  [['--workers', '0', 'cli-child.js'], /--workers takes a whole number/],
  [['--workers'], /--workers needs a number/],
  [[], /no program given/],
  [['missing.js'], /cannot find the program 'missing.js'/],
  [['-e', '1'], /-e does not run a program/],
]) {
  test(`greenpatch ${args.join(' ')}: exit code 2 and a message`, async (t) => {
    const r = await run([cli, ...args]);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.regex(r.stderr, message);
  });
}
