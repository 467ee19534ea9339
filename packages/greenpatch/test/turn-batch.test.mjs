// The hub's run queue resumes the threads woken for a turn from one
// setImmediate; between two of them the nextTick queue and the microtasks
// run, as Node runs them between two immediates.
import test from 'ava';
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep, spawn, joinAll } from 'greenpatch';

test.beforeEach((t) => t.timeout(10_000));

/** What `count` steps log when each is woken in the same turn and queues a tick and a microtask. */
function step(log, i) {
  log.push(`resumed ${i}`);
  process.nextTick(() => log.push(`tick ${i}`));
  Promise.resolve().then(() => log.push(`microtask ${i}`));
}

/** The order stock Node gives: one setImmediate per step. */
async function stockOrder(count) {
  const log = [];
  await new Promise((resolve) => {
    for (let i = 0; i < count; i++) setImmediate(() => step(log, i));
    setImmediate(() => setImmediate(resolve));
  });
  return log;
}

/** The same steps in green threads, each woken from sleep(0) in the same hub turn. */
async function greenOrder(count) {
  const log = [];
  const threads = [];
  for (let i = 0; i < count; i++) {
    threads.push(
      spawn(() => {
        sleep(0);
        step(log, i);
      }),
    );
  }
  await new Promise((resolve) => spawn(() => resolve(joinAll(threads))));
  await new Promise(setImmediate);
  return log;
}

test.serial('threads resumed in one turn each have their nextTick callbacks and microtasks run before the next, as immediates do', async (t) => {
  const expected = await stockOrder(4);
  t.deepEqual(expected.slice(0, 3), ['resumed 0', 'tick 0', 'microtask 0']);
  t.deepEqual(await greenOrder(4), expected);
});

test.serial('each thread\'s ticks and microtasks still run before the next resumes where resumptions are armed (AsyncLocalStorage in use)', async (t) => {
  const als = new AsyncLocalStorage();
  const log = await als.run({ id: 1 }, () => greenOrder(4));
  // On Node 20/22 an armed thread resumes from a promise reaction, and its
  // own microtask then runs before its tick, as after an await in stock code.
  for (let i = 0; i < 4; i++) {
    const group = log.slice(3 * i, 3 * i + 3);
    t.is(group[0], `resumed ${i}`);
    t.deepEqual([...group.slice(1)].sort(), [`microtask ${i}`, `tick ${i}`]);
  }
  t.is(log.length, 12);
  // A new thread (on a reused fiber) then starts in its spawner's context.
  const seen = await als.run({ id: 2 }, () => new Promise((resolve) => spawn(() => (sleep(0), resolve(als.getStore()?.id)))));
  t.is(seen, 2);
});

test('a nextTick callback that throws between two resumptions loses no thread: the rest resume on a later turn', (t) => {
  const script = `
    const { sleep, spawn } = require('greenpatch');
    const log = [];
    process.on('uncaughtException', (error) => log.push('caught ' + error.message));
    for (let i = 0; i < 4; i++) {
      spawn(() => {
        sleep(0);
        log.push('resumed ' + i);
        if (i === 1) process.nextTick(() => { throw new Error('boom'); });
      });
    }
    process.on('exit', () => console.log(JSON.stringify(log)));
  `;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
  t.deepEqual(JSON.parse(r.stdout), ['resumed 0', 'resumed 1', 'caught boom', 'resumed 2', 'resumed 3']);
});
