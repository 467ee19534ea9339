// A cooperative spawnSync goes through the same JavaScript as stock's: Node's
// own spawnSync normalises the arguments and calls internal/child_process's
// spawnSync once with them; only the native binding's work is done
// asynchronously. So what a program can watch on the way (methods of
// ChildProcess.prototype, which stock spawnSync never calls; with
// --expose-internals, the internal spawnSync and the options it gets) is
// what stock shows, while the calling green thread still lets others run.
// Each program runs in a child process, under --require greenpatch/register,
// its top level being the main green thread.
import test from 'ava';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const entry = require.resolve('greenpatch');
const register = require.resolve('greenpatch/register');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-cp-path-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
test.beforeEach((t) => t.timeout(30_000));

// The child waits (at most 2 s) for a file that another green thread makes:
// it ends on the file only if that thread ran while spawnSync waited.
const waitForFlag = 'i=0; while [ ! -e "$1" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done; if [ -e "$1" ]; then echo seen; else echo missed; fi';

const cooperates = `
  function cooperates(call) {
    const flag = require('node:path').join(${JSON.stringify(dir)}, 'flag-' + process.pid + '-' + Math.random());
    const other = require(${JSON.stringify(entry)}).spawn(() => require('node:fs').writeFileSync(flag, ''));
    const seen = String(call(['-c', ${JSON.stringify(waitForFlag)}, 'sh', flag])).trim();
    other.wait();
    return seen;
  }`;

function run(t, source, flags = []) {
  const file = path.join(dir, `${t.title.replace(/\W+/g, '-').slice(0, 60)}.cjs`);
  fs.writeFileSync(file, source);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...flags, '--require', register, file], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve({ out: JSON.parse(stdout), stderr });
    });
  });
}

test('ChildProcess.prototype.spawn and kill are not called by a cooperative spawnSync, execSync or execFileSync', async (t) => {
  const { out, stderr } = await run(
    t,
    `
    const cp = require('node:child_process');
    ${cooperates}
    const calls = [];
    for (const name of ['spawn', 'kill']) {
      const original = cp.ChildProcess.prototype[name];
      cp.ChildProcess.prototype[name] = function (...args) { calls.push(name); return original.apply(this, args); };
    }
    const out = {};
    out.spawnSync = cooperates((args) => cp.spawnSync('sh', args, { encoding: 'utf8' }).stdout);
    out.execFileSync = cooperates((args) => cp.execFileSync('sh', args, { encoding: 'utf8' }));
    out.timedOut = cp.spawnSync('sleep', ['5'], { timeout: 100 }).error.code;
    out.callsBySync = calls.slice();
    const child = cp.spawn('true');
    child.kill();
    out.callsByAsync = calls.slice(out.callsBySync.length);
    console.log(JSON.stringify(out));`,
  );
  t.deepEqual(out, { spawnSync: 'seen', execFileSync: 'seen', timedOut: 'ETIMEDOUT', callsBySync: [], callsByAsync: ['spawn', 'kill'] });
  t.is(stderr, '');
});

test("internal/child_process's spawnSync is called once, with Node's normalised options, and its value returned", async (t) => {
  const { out, stderr } = await run(
    t,
    `
    const cp = require('node:child_process');
    const internal = require('internal/child_process');
    ${cooperates}
    const original = internal.spawnSync;
    const seen = [];
    internal.spawnSync = function (options) {
      seen.push({ file: options.file, args: options.args, killSignal: options.killSignal, windowsHide: options.windowsHide, shell: options.shell });
      return original.apply(this, arguments);
    };
    const out = {};
    out.cooperative = cooperates((args) => cp.spawnSync('sh', args, { killSignal: 'SIGKILL', windowsHide: true }).stdout);
    out.shell = cp.execSync('echo $((6 * 7))', { encoding: 'utf8' }).trim();
    out.seen = seen;
    // What the internal function returns is what spawnSync returns, as stock.
    const sentinel = { status: 'from the replacement' };
    internal.spawnSync = () => sentinel;
    out.replaced = cp.spawnSync('greenpatch-never-run') === sentinel;
    internal.spawnSync = original;
    out.sigkill = require('node:os').constants.signals.SIGKILL;
    console.log(JSON.stringify(out));`,
    ['--expose-internals', '--no-warnings'],
  );
  t.is(out.cooperative, 'seen');
  t.is(out.shell, '42');
  t.is(out.seen.length, 2);
  t.like(out.seen[0], { file: 'sh', killSignal: out.sigkill, windowsHide: true });
  t.is(out.seen[0].args[0], 'sh');
  t.like(out.seen[1], { file: '/bin/sh', args: ['/bin/sh', '-c', 'echo $((6 * 7))'], shell: true });
  t.true(out.replaced);
  t.is(stderr, '');
});

test('arguments Node refuses throw Node\'s error at once, with each option read once, in a green thread', async (t) => {
  const { out } = await run(
    t,
    `
    const cp = require('node:child_process');
    const reads = {};
    const options = {};
    for (const [key, value] of Object.entries({ timeout: -1, encoding: 'utf8', stdio: 'pipe' })) {
      Object.defineProperty(options, key, { enumerable: true, get() { reads[key] = (reads[key] || 0) + 1; return value; } });
    }
    let error;
    try { cp.spawnSync('true', [], options); } catch (e) { error = e.code; }
    console.log(JSON.stringify({ error, reads }));`,
  );
  t.deepEqual(out, { error: 'ERR_OUT_OF_RANGE', reads: { timeout: 1, encoding: 1, stdio: 1 } });
});

test('options set on Object.prototype are not read as spawn options, as with stock', async (t) => {
  const { out } = await run(
    t,
    `
    const cp = require('node:child_process');
    ${cooperates}
    const out = { cooperative: cooperates((args) => cp.execFileSync('sh', args, { encoding: 'utf8' })) };
    Object.prototype.cwd = '/greenpatch/not/a/dir';
    Object.prototype.uid = 1;
    Object.prototype.stdio = 'ignore';
    try {
      out.pwd = cp.spawnSync('pwd', { encoding: 'utf8' }).stdout.trim();
      out.uid = cp.execFileSync('id', ['-u'], { encoding: 'utf8' }).trim();
    } finally {
      delete Object.prototype.cwd;
      delete Object.prototype.uid;
      delete Object.prototype.stdio;
    }
    out.expected = { pwd: process.cwd(), uid: String(process.getuid()) };
    console.log(JSON.stringify(out));`,
  );
  t.is(out.cooperative, 'seen');
  t.is(out.pwd, out.expected.pwd);
  t.is(out.uid, out.expected.uid);
});
