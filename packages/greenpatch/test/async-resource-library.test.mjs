// Blocking inside a callback that a real library bound with AsyncResource:
// on-finished (used by express, finalhandler, send) wraps each listener with
// runInAsyncScope of an AsyncResource made when the listener was added. The
// listener here blocks (greenpatch's sleep, or Fiber.yield) while other
// callers run, and must come back with its own async ids and store.
import test from 'ava';
import { AsyncLocalStorage, executionAsyncId, triggerAsyncId } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import onFinished from 'on-finished';
import { spawn, sleep, joinAll } from 'greenpatch';
import { green } from './helpers/green.mjs';

const require = createRequire(import.meta.url);
const Fiber = require('@greenpatch/fibers');

test.beforeEach((t) => t.timeout(30_000));

// An unfinished message as on-finished sees one (it checks `finished` and
// listens for 'finish'); emitting 'finish' runs its listeners synchronously.
function message() {
  const msg = new EventEmitter();
  msg.finished = false;
  return msg;
}

test('greenpatch: on-finished listeners block in green threads and keep their own async ids and store', async (t) => {
  const als = new AsyncLocalStorage();
  const count = 20;
  const messages = Array.from({ length: count }, message);
  const seen = [];
  let entered = 0;
  messages.forEach((msg, i) => {
    als.run({ i }, () =>
      onFinished(msg, (err, finished) => {
        const ids = [executionAsyncId(), triggerAsyncId()];
        entered++;
        sleep(0.001); // the hub starts every other thread before a timer can fire
        const others = entered;
        sleep(0);
        seen.push({
          i,
          err,
          same: finished === msg,
          store: als.getStore()?.i,
          ids: ids.join() === [executionAsyncId(), triggerAsyncId()].join(),
          others,
        });
      }),
    );
  });
  await green(() => joinAll(messages.map((msg) => spawn(() => msg.emit('finish')))));
  t.is(seen.length, count);
  for (const s of seen.sort((a, b) => a.i - b.i)) {
    t.deepEqual(s, { i: s.i, err: null, same: true, store: s.i, ids: true, others: count });
  }
});

test('@greenpatch/fibers: on-finished listeners yield inside their async scope and resume in it', (t) => {
  const als = new AsyncLocalStorage();
  const messages = Array.from({ length: 10 }, message);
  const log = [];
  messages.forEach((msg, i) => {
    als.run(i, () =>
      onFinished(msg, () => {
        const id = executionAsyncId();
        const got = Fiber.yield(`paused ${i}`);
        log.push([i, got, als.getStore(), executionAsyncId() === id]);
      }),
    );
  });
  const outside = executionAsyncId();
  const fibers = messages.map((msg) => Fiber(() => msg.emit('finish')));
  const paused = fibers.map((fiber) => fiber.run());
  t.deepEqual(paused, messages.map((_, i) => `paused ${i}`));
  // Resumed in reverse: each finds its own scope, and the caller keeps its own.
  for (let i = fibers.length - 1; i >= 0; i--) fibers[i].run(`value ${i}`);
  t.is(executionAsyncId(), outside);
  t.is(als.getStore(), undefined);
  t.deepEqual(log, messages.map((_, i) => [i, `value ${i}`, i, true]).reverse());
});
