// Fibers at the edges of a program's life: collection, exit, worker threads.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import Fiber from '@greenpatch/fibers';
import { binding } from '../dist/binding.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const fixture = (name) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

function runFixture(args) {
  return spawnSync(process.execPath, [fixture('exit.cjs'), ...args], { encoding: 'utf8', timeout: 30_000 });
}

test.serial('a suspended fiber nobody references is unwound after collection', async (t) => {
  const log = [];
  const before = binding.settings();
  (() => {
    for (let i = 0; i < 10; i++) {
      Fiber(() => {
        try {
          Fiber.yield();
        } finally {
          log.push(i);
        }
      }).run();
    }
  })();
  t.is(binding.settings().suspended, before.suspended + 10);
  for (let i = 0; i < 20 && log.length < 10; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.deepEqual([...log].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const after = binding.settings();
  t.is(after.suspended, before.suspended);
  t.true(after.pooled >= Math.min(10, after.poolSize), 'stacks went back to the pool');
});

test('exit with 1,000 suspended fibers, when the loop ends', (t) => {
  const r = runFixture(['normal']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
});

test('process.exit() from the main stack with suspended fibers', (t) => {
  const r = runFixture(['exit-main']);
  t.is(r.status, 3, r.stderr);
  t.is(r.stderr, '');
});

test('process.exit() from inside a fiber', (t) => {
  const r = runFixture(['exit-in-fiber']);
  t.is(r.status, 4, r.stderr);
  t.is(r.stderr, '');
  const later = runFixture(['exit-in-fiber-later']);
  t.is(later.status, 5, later.stderr);
});

test('process.exitCode is kept', (t) => {
  const r = runFixture(['exitCode']);
  t.is(r.status, 7, r.stderr);
});

test('an uncaught error from a fiber is an ordinary uncaught exception', (t) => {
  const r = runFixture(['uncaught']);
  t.is(r.status, 1);
  t.regex(r.stderr, /Error: escaped the fiber/);
  t.is(r.signal, null);
});

function runWorker(data) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fixture('worker.cjs'), { workerData: data });
    let message;
    worker.on('message', (m) => {
      message = m;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ code, message }));
  });
}

test('fibers in several worker threads at once', async (t) => {
  const results = await Promise.all([0, 1, 2, 3].map((id) => runWorker({ id })));
  // Each of 500 fibers yields total+n with total growing by 1 a round.
  const expected = 20 * (499 * 500) / 2 + 500 * (20 * 21) / 2;
  for (const [id, r] of results.entries()) {
    t.is(r.code, 0);
    t.deepEqual(r.message, { id, sum: expected });
  }
});

test('a worker that exits with suspended fibers', async (t) => {
  const r = await runWorker({ id: 9, mode: 'leave-suspended' });
  t.is(r.code, 0);
  t.is(r.message.suspended, 500);
});

test('process.exit() in a nested fiber in a worker ends it there', async (t) => {
  const r = await runWorker({ id: 3, mode: 'exit-in-nested-fiber' });
  t.is(r.code, 10);
  t.is(r.message, undefined);
});

test('a worker terminated while a fiber is running', async (t) => {
  const worker = new Worker(fixture('worker.cjs'), { workerData: { id: 1, mode: 'spin-in-fiber' } });
  await new Promise((resolve) => worker.once('message', resolve));
  const code = await worker.terminate();
  t.is(code, 1);
  // The main thread's fibers are unaffected.
  t.is(Fiber(() => Fiber.yield('still fine')).run(), 'still fine');
});

test('loading the engine prints nothing', (t) => {
  const r = spawnSync(process.execPath, ['-e', "require('@greenpatch/fibers'); require('@greenpatch/fibers/future')"], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    encoding: 'utf8',
  });
  t.is(r.status, 0);
  t.is(r.stderr, '');
  t.is(r.stdout, '');
});
