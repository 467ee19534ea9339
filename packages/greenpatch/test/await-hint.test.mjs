// ERR_GREENPATCH_BLOCKING_ON_HUB says when the blocking call was made in a
// promise continuation (after an await, in a .then() callback, after a
// top-level await), and says nothing of the kind from timers, immediates,
// nextTick or I/O callbacks.
import test from 'ava';
import { readFile } from 'node:fs';
import { sleep, spawn } from 'greenpatch';
import { runFixture as run } from './helpers/run-fixture.mjs';

test.beforeEach((t) => t.timeout(20_000));

const HINT = /It was called in a promise continuation \(code after an `await`, or a \.then\(\) callback\)[^]*wait\(promise\) instead of `await`[^]*greenify\(\)/;

/** The error sleep() throws where `schedule` runs its callback. */
function errorFrom(schedule) {
  return new Promise((resolve) => {
    schedule(() => {
      try {
        sleep(1);
        resolve(undefined);
      } catch (error) {
        resolve(error);
      }
    });
  });
}

test('after an await inside a green thread: the hint', async (t) => {
  const error = await errorFrom((fn) =>
    spawn(async () => {
      await null;
      fn();
    }),
  );
  t.is(error.code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  t.regex(error.message, /^sleep\(\) cannot block the hub: call it from a green thread \(spawn\)\. /);
  t.regex(error.message, HINT);
});

test('in a .then() callback: the hint', async (t) => {
  const error = await errorFrom((fn) => Promise.resolve().then(fn));
  t.regex(error.message, HINT);
});

test('after an await in a timer callback: the hint', async (t) => {
  const error = await errorFrom((fn) =>
    setTimeout(async () => {
      await null;
      fn();
    }, 1),
  );
  t.regex(error.message, HINT);
});

for (const [name, schedule] of [
  ['a setTimeout callback', (fn) => setTimeout(fn, 1)],
  ['a setImmediate callback', (fn) => setImmediate(fn)],
  ['a process.nextTick callback', (fn) => process.nextTick(fn)],
  ['an fs callback', (fn) => readFile(new URL(import.meta.url), () => fn())],
]) {
  test(`in ${name}: no hint`, async (t) => {
    const error = await errorFrom(schedule);
    t.is(error.code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
    t.is(error.message, 'sleep() cannot block the hub: call it from a green thread (spawn)');
  });
}

test('after a top-level await in an ES entry under --import: the hint', async (t) => {
  const r = await run(['--import', 'greenpatch/register', 'tla-then-block.mjs']);
  t.is(r.stderr, '');
  t.regex(r.stdout, /^ERR_GREENPATCH_BLOCKING_ON_HUB sleep\(\) cannot block the hub/);
  t.regex(r.stdout, HINT);
});
