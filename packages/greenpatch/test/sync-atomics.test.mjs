// Cooperative Atomics.wait: inside a green thread it blocks only that thread,
// with the original's results ('ok', 'not-equal', 'timed-out'), notify
// semantics and argument errors; outside one it is the original.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { patch, spawn, isPatched, getOriginal } from 'greenpatch';

const stockWait = Atomics.wait;
patch({ Atomics: true });

test.beforeEach((t) => t.timeout(30_000));

function green(fn) {
  return new Promise((resolve, reject) => {
    const thread = spawn(fn);
    thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception)));
  });
}

const cell = (value = 0) => {
  const ia = new Int32Array(new SharedArrayBuffer(8));
  ia[0] = value;
  return ia;
};

function outcome(fn) {
  try {
    return { value: fn() };
  } catch (error) {
    return { thrown: { class: error.constructor.name, message: error.message } };
  }
}

test.serial('the patch replaces the global Atomics.wait, keeping its property attributes', (t) => {
  t.true(isPatched('Atomics'));
  t.not(Atomics.wait, stockWait);
  t.is(getOriginal('Atomics', 'wait'), stockWait);
  const descriptor = Object.getOwnPropertyDescriptor(Atomics, 'wait');
  t.false(descriptor.enumerable);
  t.is(Atomics.wait.name, 'wait');
  t.is(Atomics.wait.length, stockWait.length);
});

test.serial('same results and errors as the original for answers that need no waiting', async (t) => {
  const calls = (wait) => [
    ['not-equal', () => wait(cell(1), 0, 0, 1000)],
    ['timeout 0', () => wait(cell(0), 0, 0, 0)],
    ['negative timeout', () => wait(cell(0), 0, 0, -5)],
    ['BigInt64Array not-equal', () => wait(new BigInt64Array(new SharedArrayBuffer(8)), 0, 1n, 100)],
    ['not shared', () => wait(new Int32Array(4), 0, 0, 10)],
    ['wrong array type', () => wait(new Float64Array(new SharedArrayBuffer(8)), 0, 0, 10)],
    ['index out of range', () => wait(cell(), 5, 0, 10)],
    ['not a typed array', () => wait({}, 0, 0, 10)],
  ];
  const expected = calls((...a) => stockWait.apply(Atomics, a)).map(([l, f]) => [l, outcome(f)]);
  const actual = await green(() => calls((...a) => Atomics.wait(...a)).map(([l, f]) => [l, outcome(f)]));
  t.deepEqual(actual, expected);
});

test.serial('a timed wait sleeps only its green thread', async (t) => {
  const events = [];
  await Promise.all(
    [0, 1, 2].map((i) =>
      green(() => {
        events.push(`start ${i}`);
        const r = Atomics.wait(cell(), 0, 0, 200);
        events.push(`${r} ${i}`);
      }),
    ),
  );
  t.deepEqual(events.slice(0, 3), ['start 0', 'start 1', 'start 2']);
  t.deepEqual(events.slice(3).sort(), ['timed-out 0', 'timed-out 1', 'timed-out 2']);
});

test.serial('the event loop runs during a green Atomics.wait, not during the original', async (t) => {
  // Green: only an event-loop callback can notify, so 'ok' proves the loop
  // ran while the thread waited (the long timeout only bounds a failure).
  const during = await green(() => {
    const c = cell();
    let fromLoop = false;
    setTimeout(() => {
      fromLoop = true;
      Atomics.notify(c, 0);
    }, 5);
    return [Atomics.wait(c, 0, 0, 30_000), fromLoop];
  });
  t.deepEqual(during, ['ok', true]);
  // Outside a green thread, the original: a callback due meanwhile waits for it.
  let ran = false;
  const timer = setTimeout(() => (ran = true), 0);
  t.is(Atomics.wait(cell(), 0, 0, 100), 'timed-out');
  t.false(ran);
  clearTimeout(timer);
});

test.serial('Atomics.notify from another green thread wakes the waiter with ok', async (t) => {
  const ia = cell();
  const waiter = green(() => Atomics.wait(ia, 0, 0));
  const notified = await green(() => {
    Atomics.wait(cell(), 0, 0, 50); // let the waiter block first
    Atomics.store(ia, 0, 1);
    return Atomics.notify(ia, 0);
  });
  t.is(notified, 1);
  t.is(await waiter, 'ok');
});

test.serial('Atomics.notify from a worker thread wakes a green waiter', async (t) => {
  const ia = cell();
  const result = green(() => Atomics.wait(ia, 0, 0, 10_000));
  const worker = new Worker(
    // Notifies until there is a waiter to wake (the only notifier there is).
    `const { workerData } = require('node:worker_threads');
     const poke = () => {
       if (Atomics.notify(workerData, 0) === 0) setTimeout(poke, 10);
     };
     poke();`,
    { eval: true, workerData: ia },
  );
  t.is(await result, 'ok');
  await worker.terminate();
});

test.serial('a green Atomics.wait keeps the process alive until it returns, as the original would', (t) => {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('greenpatch');
  const script = `
    const { patch, spawn } = require(${JSON.stringify(entry)});
    patch({ Atomics: true });
    spawn(() => {
      const r = Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      process.stdout.write('woke ' + r);
    });`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  t.is(child.stderr, '');
  t.is(child.stdout, 'woke timed-out');
});
