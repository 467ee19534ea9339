// The cooperative *Sync patches are part of patchAll() and of
// greenpatch/register by default; GREENPATCH_PATCH and patch({...}) select
// them by module name. Each program runs in a child process.
import test from 'ava';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const entry = require.resolve('greenpatch');
const names = ['child_process', 'fs', 'zlib', 'crypto', 'Atomics'];
// The programs live in a temporary directory: the hook is named by its path.
const hook = { '--require': require.resolve('greenpatch/register'), '--import': import.meta.resolve('greenpatch/register') };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-sync-register-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

// Top-level code (the main green thread) runs a child that waits for a file
// that the child of another green thread makes: with child_process patched
// they overlap and the wait ends on the file; stock, the other thread cannot
// start until the wait has run out. Causal, so a loaded machine gives the
// same order, provided the wait is long enough for the other child to start:
// $2 polls of 50 ms, 20 s where an overlap is expected (it ends at once on
// the file), 1 s where the wait must run out.
const waitForFlag = 'i=0; while [ ! -e "$1" ] && [ $i -lt "$2" ]; do sleep 0.05; i=$((i+1)); done; rm -f "$1"';
const programs = {
  'main.cjs': `
    const cp = require('node:child_process');
    const { spawn, isPatched } = require(${JSON.stringify(entry)});
    const events = [];
    const waitForFlag = ${JSON.stringify(waitForFlag)};
    const flag = 'flag-' + process.pid;
    const other = spawn(() => { events.push('other start'); cp.execFileSync('touch', [flag]); events.push('other end'); });
    events.push('main start');
    cp.execFileSync('sh', ['-c', waitForFlag, 'sh', flag, process.env.WAIT_POLLS]);
    events.push('main end');
    other.wait();
    console.log(JSON.stringify({ patched: ${JSON.stringify(names)}.map((n) => isPatched(n)), events }));`,
  'main.mjs': `
    import { execFileSync } from 'node:child_process';
    import { createRequire } from 'node:module';
    const { spawn, isPatched } = createRequire(import.meta.url)(${JSON.stringify(entry)});
    const events = [];
    const waitForFlag = ${JSON.stringify(waitForFlag)};
    const flag = 'flag-' + process.pid;
    const other = spawn(() => { events.push('other start'); execFileSync('touch', [flag]); events.push('other end'); });
    events.push('main start');
    execFileSync('sh', ['-c', waitForFlag, 'sh', flag, process.env.WAIT_POLLS]);
    events.push('main end');
    other.wait();
    console.log(JSON.stringify({ patched: ${JSON.stringify(names)}.map((n) => isPatched(n)), events }));`,
  'select.cjs': `
    const gp = require(${JSON.stringify(entry)});
    const out = {};
    out.zlibOnly = gp.patch({ zlib: true });
    out.afterZlib = ${JSON.stringify(names)}.map((n) => gp.isPatched(n));
    out.allButFs = gp.patchAll({ fs: false }).filter((n) => ${JSON.stringify(names)}.includes(n));
    out.afterAll = ${JSON.stringify(names)}.map((n) => gp.isPatched(n));
    out.unpatched = gp.unpatch('child_process', 'Atomics');
    out.atomicsRestored = Atomics.wait === gp.getOriginal('Atomics', 'wait');
    console.log(JSON.stringify(out));`,
  // module.register() inside a green thread: Node's ESM loader waits for
  // its hooks thread with Atomics.wait, which must stay the real one.
  'hooks.cjs': `
    const { spawn, patch } = require(${JSON.stringify(entry)});
    patch({ Atomics: true, fs: true });
    const { register } = require('node:module');
    spawn(() => {
      register('data:text/javascript,export async function resolve(s, c, n) { return n(s, c); }');
      console.log('registered');
    });`,
};
for (const [file, source] of Object.entries(programs)) fs.writeFileSync(path.join(dir, file), source);

function run(args, env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: dir, env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

test.beforeEach((t) => t.timeout(40_000));

const overlapped = ['main start', 'other start', 'other end', 'main end'];
const serialised = ['main start', 'main end', 'other start', 'other end'];

for (const [flag, file] of [['--require', 'main.cjs'], ['--import', 'main.mjs']]) {
  test(`${flag} greenpatch/register: every *Sync patch but the opt-in zlib and crypto is on by default; top-level execFileSync overlaps (${file})`, async (t) => {
    const r = await run([flag, hook[flag], file], { GREENPATCH_PATCH: '', WAIT_POLLS: '400' });
    t.is(r.stderr, '');
    t.deepEqual(JSON.parse(r.stdout), { patched: [true, true, false, false, true], events: overlapped });
  });

  test(`${flag} greenpatch/register with GREENPATCH_PATCH=fs,zlib: child_process stays stock (${file})`, async (t) => {
    const r = await run([flag, hook[flag], file], { GREENPATCH_PATCH: 'fs,zlib', WAIT_POLLS: '20' });
    t.is(r.stderr, '');
    t.deepEqual(JSON.parse(r.stdout), { patched: [false, true, true, false, false], events: serialised });
  });
}

test('GREENPATCH_PATCH=child_process,Atomics selects just those', async (t) => {
  const r = await run(['--require', hook['--require'], 'main.cjs'], { GREENPATCH_PATCH: 'child_process,Atomics', WAIT_POLLS: '400' });
  t.is(r.stderr, '');
  t.deepEqual(JSON.parse(r.stdout), { patched: [true, false, false, false, true], events: overlapped });
});

test('patch({...}) and patchAll({...}) select the *Sync patches by module name', async (t) => {
  const r = await run(['select.cjs']);
  t.is(r.stderr, '');
  t.deepEqual(JSON.parse(r.stdout), {
    zlibOnly: ['zlib'],
    afterZlib: [false, false, true, false, false],
    allButFs: ['child_process', 'Atomics'],
    afterAll: [true, false, true, false, true],
    unpatched: ['child_process', 'Atomics'],
    atomicsRestored: true,
  });
});

test('Node internals calling Atomics.wait (the ESM loader and its hooks thread) get the real one', async (t) => {
  const r = await run(['--no-deprecation', 'hooks.cjs']); // register() is deprecated on Node 26
  t.is(r.stderr, '');
  t.is(r.stdout, 'registered\n');
  t.is(r.code, 0);
});
