// iwait() and waitReady(): many objects of every waitable kind, yielded in
// the order they become ready; a timeout ends the iteration; nothing is
// taken from what was not yielded; subscriptions are withdrawn.
import test from 'ava';
import { AsyncResult, Event, iwait, JoinableQueue, Queue, sleep, spawn, wait, waitReady } from 'greenpatch';
import { green } from './helpers/green.mjs';

test('iwait yields threads, events, results, queues and promises in the order they become ready', async (t) => {
  const order = await green(() => {
    const event = new Event();
    const result = new AsyncResult();
    const queue = new Queue();
    let resolvePromise;
    const promise = new Promise((r) => (resolvePromise = r));
    const thread = spawn(() => 'done');
    const names = new Map([
      [event, 'event'],
      [result, 'result'],
      [queue, 'queue'],
      [promise, 'promise'],
      [thread, 'thread'],
    ]);
    // Made ready in an order unlike the order given.
    spawn(() => {
      sleep(0);
      queue.put('item');
      sleep(0);
      result.set(42);
      sleep(0);
      resolvePromise('p');
      sleep(0);
      event.set();
    });
    const seen = [];
    for (const object of iwait([event, result, queue, promise, thread])) seen.push(names.get(object));
    // The queue's item was not taken.
    seen.push(queue.get());
    return seen;
  });
  t.deepEqual(order, ['thread', 'queue', 'result', 'promise', 'event', 'item']);
});

test('objects ready before the call come first, in the order given', async (t) => {
  const order = await green(() => {
    const a = new Event();
    const b = new Event();
    const late = new Event();
    b.set();
    a.set();
    spawn(() => late.set());
    return waitReady([late, b, a]).map((e) => (e === a ? 'a' : e === b ? 'b' : 'late'));
  });
  t.deepEqual(order, ['b', 'a', 'late']);
});

test('a timeout ends the iteration with what was ready; the rest is left untouched', async (t) => {
  const outcome = await green(() => {
    const fast = new Queue();
    const never = new Queue();
    const spare = new JoinableQueue();
    spawn(() => {
      sleep(5);
      fast.put('x');
    });
    const ready = waitReady([fast, never, spare], { timeout: 200 });
    // Later items reach the queues that were not yielded, and nobody took them.
    never.put('y');
    spare.put('z');
    sleep(0);
    return { ready: ready.map((q) => (q === fast ? 'fast' : 'other')), fast: fast.qsize(), never: never.get(), spare: spare.get() };
  });
  t.deepEqual(outcome, { ready: ['fast'], fast: 1, never: 'y', spare: 'z' });
});

test('count stops after that many; break withdraws every subscription', async (t) => {
  const outcome = await green(() => {
    const events = [new Event(), new Event(), new Event()];
    spawn(() => {
      for (const e of [events[2], events[0], events[1]]) {
        sleep(1);
        e.set();
      }
    });
    const firstTwo = waitReady(events, { count: 2 }).map((e) => events.indexOf(e));
    const threads = [spawn(() => sleep(1)), spawn(() => sleep(1000))];
    for (const thread of iwait(threads)) {
      t.is(thread, threads[0]);
      break;
    }
    threads[1].kill();
    return firstTwo;
  });
  t.deepEqual(outcome, [2, 0]);
});

test('a rejected promise counts as ready; wait() then throws its reason', async (t) => {
  const message = await green(() => {
    const failing = Promise.reject(new Error('nope'));
    const [p] = waitReady([failing]);
    try {
      wait(p);
      return 'no error';
    } catch (error) {
      return error.message;
    }
  });
  t.is(message, 'nope');
});

/** A Linkable of our own that records its subscribers, to see what iwait links and unlinks. */
class Probe {
  links = new Set();
  isReady = false;
  ready() {
    return this.isReady;
  }
  rawlink(callback) {
    this.links.add(callback);
  }
  unlink(callback) {
    this.links.delete(callback);
  }
  fire() {
    this.isReady = true;
    for (const callback of [...this.links]) callback(this);
  }
}

test('any object with the rawlink protocol can be waited on; a killed or broken-off wait unlinks everything', async (t) => {
  const a = new Probe();
  const b = new Probe();
  const waiter = spawn(() => [...iwait([a, b])]);
  await new Promise(setImmediate);
  t.is(a.links.size, 1);
  t.is(b.links.size, 1);
  waiter.kill();
  await new Promise(setImmediate);
  t.true(waiter.dead);
  t.is(a.links.size, 0);
  t.is(b.links.size, 0);

  const first = await green(() => {
    spawn(() => b.fire());
    for (const object of iwait([a, b])) return object;
  });
  t.is(first, b);
  t.is(a.links.size, 0);
});

test('bad arguments throw coded errors at the call; iterating on the hub throws ERR_GREENPATCH_BLOCKING_ON_HUB', (t) => {
  t.is(t.throws(() => iwait(42)).code, 'ERR_INVALID_ARG_TYPE');
  t.is(t.throws(() => iwait([{}])).code, 'ERR_INVALID_ARG_TYPE');
  t.is(t.throws(() => iwait([new Event()], { timeout: -1 })).code, 'ERR_OUT_OF_RANGE');
  t.is(t.throws(() => iwait([new Event()], { count: 1.5 })).code, 'ERR_OUT_OF_RANGE');
  t.is(t.throws(() => waitReady([new Event()])).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  // Nothing to wait for: no blocking, so fine on the hub too.
  t.deepEqual(waitReady([]), []);
  const set = new Event();
  set.set();
  t.deepEqual(waitReady([set]), [set]);
});
