// The threads backend (an OS thread per fiber, one running at a time): how it
// is selected, and what only it can get wrong: exit with parked threads,
// worker threads, handoffs under load. This file always runs it in-process,
// whatever GREENPATCH_BACKEND the suite was started with.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';

process.env.GREENPATCH_BACKEND = 'threads';
const { default: Fiber } = await import('@greenpatch/fibers');
const { binding } = await import('../dist/binding.js');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const here = fileURLToPath(new URL('.', import.meta.url));
const fixture = join(here, 'fixtures', 'threads.cjs');

/** Runs fixtures/threads.cjs `mode` in a child process with `env` added. */
function child(mode, env = {}, node = process.execPath) {
  const base = { ...process.env };
  delete base.GREENPATCH_BACKEND;
  delete base.GREENPATCH_TEST_NATIVE_FAILURE;
  const r = spawnSync(node, [fixture, mode], {
    cwd: here,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...base, GREENPATCH_BACKEND: 'threads', ...env },
  });
  const lines = r.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  return { status: r.status, signal: r.signal, stderr: r.stderr, out: lines };
}

function stderrLines(text) {
  return text.split('\n').filter(Boolean);
}

// ---- selection -------------------------------------------------------------

test('GREENPATCH_BACKEND=threads selects the threads backend, silently', (t) => {
  t.is(Fiber.backend, 'threads');
  t.is(binding.backend, 'threads');
  const r = child('backend');
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.out, [{ backend: 'threads', first: 42, second: 2 }]);
  t.is(r.stderr, '');
  // Also when the native backend could not have started: no notice.
  const forced = child('backend', { GREENPATCH_TEST_NATIVE_FAILURE: 'simulated' });
  t.is(forced.stderr, '');
  t.is(forced.out[0].backend, 'threads');
});

test('unset, the native backend runs where it can, silently', (t) => {
  const r = child('backend', { GREENPATCH_BACKEND: '' });
  t.is(r.status, 0, r.stderr);
  t.is(r.out[0].backend, 'native');
  t.is(r.stderr, '');
});

test('unset, a native start failure falls back to threads with one line on stderr saying why', (t) => {
  const r = child('backend', { GREENPATCH_BACKEND: '', GREENPATCH_TEST_NATIVE_FAILURE: 'simulated reason' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.out, [{ backend: 'threads', first: 42, second: 2 }]);
  const lines = stderrLines(r.stderr);
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0], /threads backend/);
  t.regex(lines[0], /simulated reason/);
});

test('GREENPATCH_BACKEND=native fails with ERR_GREENPATCH_UNSUPPORTED_RUNTIME instead of falling back', (t) => {
  const probe = `
    try { require('@greenpatch/fibers'); console.log(JSON.stringify('loaded')); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
  const r = spawnSync(process.execPath, ['-e', probe], {
    cwd: here,
    encoding: 'utf8',
    env: { ...process.env, GREENPATCH_BACKEND: 'native', GREENPATCH_TEST_NATIVE_FAILURE: 'simulated' },
  });
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
  const result = JSON.parse(r.stdout);
  t.is(result.code, 'ERR_GREENPATCH_UNSUPPORTED_RUNTIME');
  t.regex(result.message, /simulated/);
});

test('an unknown GREENPATCH_BACKEND is refused with ERR_GREENPATCH_UNSUPPORTED_BACKEND', (t) => {
  const probe = `try { require('@greenpatch/fibers'); } catch (e) { console.log(e.code); }`;
  const r = spawnSync(process.execPath, ['-e', probe], {
    cwd: here,
    encoding: 'utf8',
    env: { ...process.env, GREENPATCH_BACKEND: 'green' },
  });
  t.is(r.stdout.trim(), 'ERR_GREENPATCH_UNSUPPORTED_BACKEND');
});

test('on a stripped node the fallback is automatic: one line for the whole process, workers included', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'greenpatch-stripped-'));
  try {
    const node = join(dir, 'node');
    copyFileSync(process.execPath, node);
    execFileSync('strip', ['--strip-all', node]);
    const r = child('backend', { GREENPATCH_BACKEND: '' }, node);
    t.is(r.status, 0, r.stderr);
    t.deepEqual(r.out, [{ backend: 'threads', first: 42, second: 2 }]);
    const lines = stderrLines(r.stderr);
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0], /threads backend.*thread_id/);
    // Four workers load the engine too; still one line.
    const w = child('workers', { GREENPATCH_BACKEND: '' }, node);
    t.is(w.status, 0, w.stderr);
    t.is(stderrLines(w.stderr).length, 1, w.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- exit ------------------------------------------------------------------

test('the process ends normally with 1,000 suspended fibers and a fiber suspended in a fiber', (t) => {
  const r = child('live-fibers');
  t.is(r.status, 0, r.stderr);
  t.is(r.signal, null);
  t.is(r.stderr, '');
  t.deepEqual(r.out, [{ exiting: true, backend: 'threads' }]);
});

test('exit codes: process.exit() on the main stack, in a fiber, in a nested fiber, later in a fiber; exitCode', (t) => {
  const cases = [
    ['exit-main', 3],
    ['exit-in-fiber', 4],
    ['exit-in-nested-fiber', 5],
    ['exit-in-fiber-later', 6],
    ['exitCode', 7],
  ];
  for (const [mode, code] of cases) {
    const r = child(mode);
    t.is(r.status, code, `${mode}: ${r.stderr}`);
    t.is(r.signal, null, mode);
    t.is(r.stderr, '', mode);
  }
  // The 'exit' event of a process.exit() from a fiber runs in that fiber.
  t.deepEqual(child('exit-in-fiber').out, [{ exitEvent: 4, inFiber: true }]);
});

test('an uncaught error from a fiber ends the process as an uncaught exception', (t) => {
  const r = child('uncaught');
  t.is(r.status, 1);
  t.is(r.signal, null);
  t.regex(r.stderr, /Error: escaped the fiber/);
});

test('workers ending with suspended fibers (normally, process.exit, in a fiber, in a nested fiber, an error, orphaned handles) leave no thread behind', (t) => {
  const r = child('workers');
  t.is(r.status, 0, r.stderr);
  const [{ results, before, after }] = r.out;
  const byMode = Object.fromEntries(results.map((x) => [x.mode, x]));
  t.is(byMode['worker-normal'].code, 0);
  t.is(before, 0);
  t.is(byMode['worker-normal'].messages[0].threads, 300, 'one thread per suspended fiber');
  t.is(byMode['worker-exit'].code, 8);
  t.is(byMode['worker-exit-in-fiber'].code, 9);
  t.deepEqual(byMode['worker-exit-in-fiber'].messages, []);
  t.is(byMode['worker-exit-in-nested-fiber'].code, 10);
  t.deepEqual(byMode['worker-exit-in-nested-fiber'].messages, []);
  t.deepEqual(byMode['worker-orphans'].messages, [{ suspended: 20 }]);
  t.is(byMode['worker-orphans'].code, 0);
  t.is(byMode['worker-throw-in-fiber'].code, 1);
  t.is(byMode['worker-throw-in-fiber'].error, 'thrown in a worker fiber');
  t.is(after, 0, 'every fiber thread of the workers was joined');
});

test('poolSize bounds the parked threads', (t) => {
  const r = child('pool');
  t.is(r.status, 0, r.stderr);
  const [{ base, busy, parked, trimmed }] = r.out;
  t.is(base, 0);
  t.is(busy, 40);
  t.is(parked, 40, 'finished fibers park their threads (poolSize 50)');
  t.is(trimmed, 5, 'lowering poolSize ends the extra threads');
});

test('WebAssembly code collected while fibers are suspended does not abort the process (both backends)', (t) => {
  for (const backend of ['native', 'threads']) {
    const base = { ...process.env, GREENPATCH_BACKEND: backend };
    delete base.GREENPATCH_TEST_NATIVE_FAILURE;
    const r = spawnSync(process.execPath, ['--expose-gc', '--stress-wasm-code-gc', fixture, 'wasm'], {
      cwd: here,
      encoding: 'utf8',
      timeout: 60_000,
      env: base,
    });
    t.is(r.status, 0, `${backend}: ${r.stderr.slice(0, 300)}`);
    t.deepEqual(JSON.parse(r.stdout), { backend, sum: 42 * 2000 * 100 * 10 });
  }
});

test('TLS secure contexts can be made on any fiber thread', (t) => {
  const r = child('tls');
  t.is(r.status, 0, r.stderr.slice(0, 500));
  t.deepEqual(r.out, [{ results: [true, true, true, true] }]);
});

test('a thread the system refuses is ERR_FIBER_STACK_ALLOCATION, and the engine goes on', (t) => {
  const base = { ...process.env, GREENPATCH_BACKEND: 'threads' };
  delete base.GREENPATCH_TEST_NATIVE_FAILURE;
  const r = spawnSync('bash', ['-c', 'ulimit -v 8000000 && exec "$0" "$@"', process.execPath, fixture, 'alloc'], {
    cwd: here,
    encoding: 'utf8',
    timeout: 60_000,
    env: base,
  });
  t.is(r.status, 0, r.stderr);
  const [result] = r.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  t.is(result.error?.code, 'ERR_FIBER_STACK_ALLOCATION');
  t.regex(result.error.message, /Cannot start a thread/);
  t.true(result.suspended >= 1);
  t.is(result.after, 'after');
});

test('a worker terminated while its fiber spins, and one whose fiber is suspended in a fiber', async (t) => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const Fiber = require('@greenpatch/fibers');
    Fiber(() => {
      Fiber(() => { Fiber.yield(); }).run();
      parentPort.postMessage(Fiber.backend);
      for (;;);
    }).run();`;
  const worker = new Worker(source, { eval: true, env: { ...process.env, GREENPATCH_BACKEND: 'threads' } });
  const backend = await new Promise((resolve) => worker.once('message', resolve));
  t.is(backend, 'threads');
  t.is(await worker.terminate(), 1);
  t.is(Fiber(() => Fiber.yield('still fine')).run(), 'still fine');
});

test('stack overflow inside a fiber in a worker is a RangeError', async (t) => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const Fiber = require('@greenpatch/fibers');
    const recurse = (n) => recurse(n + 1) + 1;
    try { Fiber(() => recurse(0)).run(); } catch (e) { parentPort.postMessage(Fiber.backend + ' ' + e.name); }`;
  const worker = new Worker(source, { eval: true, env: { ...process.env, GREENPATCH_BACKEND: 'threads' } });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const message = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  t.is(message, 'threads RangeError');
  t.is(await exited, 0);
});

// ---- in-process behaviour ----------------------------------------------------

test('values and exceptions cross switches between threads, at every depth', (t) => {
  const log = [];
  const inner = Fiber((x) => {
    try {
      const y = Fiber.yield(x + 1);
      throw new TypeError(`inner got ${y}`);
    } finally {
      log.push('inner finally');
    }
  });
  const outer = Fiber(() => {
    try {
      const a = inner.run(1);
      const b = Fiber.yield(a);
      return inner.run(b);
    } finally {
      log.push('outer finally');
    }
  });
  t.is(outer.run(), 2);
  const error = t.throws(() => outer.run('z'), { instanceOf: TypeError, message: 'inner got z' });
  t.regex(error.stack, /threads-backend\.test\.mjs/);
  t.deepEqual(log, ['inner finally', 'outer finally']);
  // throwInto: caught inside, the fiber goes on.
  const catcher = Fiber(() => {
    for (;;) {
      try {
        Fiber.yield('waiting');
      } catch (e) {
        Fiber.yield(`caught ${e.message}`);
      }
    }
  });
  t.is(catcher.run(), 'waiting');
  t.is(catcher.throwInto(new Error('x')), 'caught x');
  catcher.reset();
  // Misuse gives coded errors, as on the native backend.
  t.throws(() => Fiber.yield(), { code: 'ERR_FIBER_YIELD_OUTSIDE' });
  const self = Fiber(() => self.run());
  t.throws(() => self.run(), { code: 'ERR_FIBER_RUNNING' });
  t.throws(() => Fiber(() => 1).throwInto(new Error()), { code: 'ERR_FIBER_NOT_YIELDING' });
  t.throws(() => new binding.Coroutine().resume(1, false, 42), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('callOnHome runs a function on the Node thread\'s own OS thread, from any fiber', (t) => {
  const tid = () => readlinkSync('/proc/thread-self');
  const home = tid();
  const seen = Fiber(() => {
    const own = tid();
    const inner = Fiber(() => [tid(), binding.callOnHome(tid)]).run();
    return { own, viaHome: binding.callOnHome(tid), inner };
  }).run();
  t.not(seen.own, home);
  t.is(seen.viaHome, home);
  t.not(seen.inner[0], home);
  t.is(seen.inner[1], home);
  t.is(binding.callOnHome(() => 7), 7);
  // Errors come back to the caller; switching inside is refused.
  t.throws(() => Fiber(() => binding.callOnHome(() => { throw new RangeError('home'); })).run(), {
    instanceOf: RangeError,
    message: 'home',
  });
  t.throws(() => Fiber(() => binding.callOnHome(() => Fiber.yield())).run(), { code: 'ERR_FIBER_HOME_CALL' });
  t.throws(() => binding.callOnHome(42), { code: 'ERR_INVALID_ARG_TYPE' });
  t.is(Fiber(() => Fiber.yield('still switching')).run(), 'still switching');
});

test.serial('2,000 suspended fibers keep their data through collections, and are unwound once unreachable', async (t) => {
  const N = 2000;
  const before = binding.settings();
  const unwound = [];
  const fibers = [];
  // Created in a function of its own, so that no local keeps the last one.
  (() => {
    for (let i = 0; i < N; i++) {
      const fiber = Fiber((id) => {
        try {
          let own = [];
          for (let round = 0; ; round++) {
            own.push({ id, round, text: `f${id}-r${round}` });
            if (own.length > 6) own = own.slice(3);
            if (own.some((o) => o.id !== id || o.text !== `f${id}-r${o.round}`)) throw new Error(`fiber ${id} corrupted`);
            Fiber.yield(round);
          }
        } finally {
          unwound.push(id);
        }
      });
      fiber.run(i);
      fibers.push(fiber);
    }
  })();
  t.is(binding.settings().suspended, before.suspended + N);
  for (let round = 1; round <= 3; round++) {
    for (let i = 0; i < N; i++) {
      if (fibers[i].run() !== round) throw new Error(`fiber ${i} lost its place`);
      if (i % 500 === 0) gc();
    }
    Fiber(() => gc()).run();
  }
  // Drop every reference: the FinalizationRegistry unwinds them (finally
  // blocks run) and their threads go back to the pool or end.
  fibers.length = 0;
  for (let i = 0; i < 100 && unwound.length < N; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.is(unwound.length, N);
  const after = binding.settings();
  t.is(after.suspended, before.suspended);
  t.true(after.pooled <= after.poolSize);
});

test.serial('100,000 run+yield round trips', (t) => {
  let count = 0;
  const fiber = Fiber(() => {
    for (;;) count += Fiber.yield(1);
  });
  fiber.run();
  let returned = 0;
  for (let i = 0; i < 100_000; i++) returned += fiber.run(1);
  t.is(count, 100_000);
  t.is(returned, 100_000);
  fiber.reset();
});

test.serial('fibers created and finished in bulk reuse parked threads', (t) => {
  const created = binding.settings().fibersCreated;
  for (let i = 0; i < 2000; i++) t.is(Fiber((x) => x * 2).run(i), i * 2);
  t.is(binding.settings().fibersCreated, created + 2000);
  t.true(binding.settings().pooled >= 1);
});

test.serial('stack overflow inside a fiber is a RangeError; stackSize sizes new threads', (t) => {
  const recurse = (n) => recurse(n + 1) + 1;
  t.throws(() => Fiber(() => recurse(0)).run(), { instanceOf: RangeError });
  const saved = Fiber.stackSize;
  Fiber.stackSize = 8 * 1024 * 1024;
  try {
    t.throws(() => Fiber(() => recurse(0)).run(), { instanceOf: RangeError });
    t.is(Fiber(() => 'ok on a bigger thread').run(), 'ok on a bigger thread');
  } finally {
    Fiber.stackSize = saved;
  }
  t.throws(() => recurse(0), { instanceOf: RangeError });
});
