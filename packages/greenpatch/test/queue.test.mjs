// Queues: blocking and non-blocking put/get, timeouts, iteration, misuse, and
// property tests (nothing lost, nothing duplicated, order where promised).
import test from 'ava';
import fc from 'fast-check';
import {
  spawn,
  sleep,
  joinAll,
  Queue,
  LifoQueue,
  PriorityQueue,
  JoinableQueue,
  Channel,
  Full,
  Empty,
  defaultCompare,
} from 'greenpatch';
import { green, turns } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(30_000));

test('Queue is FIFO; qsize/empty/full/peek follow its contents', (t) => {
  const q = new Queue(2);
  t.true(q.empty());
  t.false(q.full());
  q.put('a');
  q.putNowait('b');
  t.is(q.qsize(), 2);
  t.true(q.full());
  t.is(q.peek(), 'a');
  t.throws(() => q.putNowait('c'), { instanceOf: Full, code: 'ERR_GREENPATCH_QUEUE_FULL' });
  t.throws(() => q.put('c', false), { instanceOf: Full });
  t.is(q.get(), 'a');
  t.is(q.getNowait(), 'b');
  t.throws(() => q.getNowait(), { instanceOf: Empty, code: 'ERR_GREENPATCH_QUEUE_EMPTY' });
  t.throws(() => q.get(false), { instanceOf: Empty });
  t.is(q.maxsize, 2);
  t.is(new Queue().maxsize, Infinity);
});

test('Queue refuses a size that is not a positive integer', (t) => {
  for (const bad of [-1, 0, 1.5, Number.NaN, '3']) {
    t.throws(() => new Queue(bad), { code: 'ERR_OUT_OF_RANGE' }, String(bad));
  }
  t.throws(() => new Queue(1).get(true, -1), { code: 'ERR_OUT_OF_RANGE' });
});

test('Queue blocking get/put on the hub throw ERR_GREENPATCH_BLOCKING_ON_HUB', (t) => {
  const q = new Queue(1);
  t.throws(() => q.get(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /^Queue\.get\(\)/ });
  q.put(1);
  t.throws(() => q.put(2), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /^Queue\.put\(\)/ });
});

test('get() blocks until a put; put() blocks while full; waiters are served in order', async (t) => {
  const q = new Queue(1);
  const log = [];
  const getters = [1, 2, 3].map((n) => spawn(() => log.push(`g${n}:${q.get()}`)));
  await turns(2);
  t.is(q.getting(), 3);
  await green(() => {
    q.put('x');
    q.put('y');
    q.put('z');
    joinAll(getters);
  });
  t.deepEqual(log, ['g1:x', 'g2:y', 'g3:z']);
  q.put(1);
  const putters = [2, 3].map((n) => spawn(() => q.put(n)));
  await turns(2);
  t.is(q.putting(), 2);
  const got = await green(() => [q.get(), q.get(), q.get()]);
  t.deepEqual(got, [1, 2, 3]);
  await green(() => joinAll(putters));
});

test('get/put timeouts throw Empty/Full and leave the queue consistent', async (t) => {
  const q = new Queue(1);
  await t.throwsAsync(green(() => q.get(true, 5)), { instanceOf: Empty });
  q.put('a');
  await t.throwsAsync(green(() => q.put('b', true, 5)), { instanceOf: Full });
  t.is(q.putting(), 0);
  t.is(q.getting(), 0);
  t.is(q.get(), 'a');
  t.true(q.empty());
});

test('a killed getter does not take an item', async (t) => {
  const q = new Queue();
  const g = spawn(() => q.get());
  await turns(2);
  g.kill();
  await t.throwsAsync(green(() => g.wait()));
  q.put('kept');
  t.is(q.get(), 'kept');
});

test('Queue is iterable from a green thread and async-iterable from the hub', async (t) => {
  const q = new Queue(2);
  const producer = spawn(() => {
    for (let i = 0; i < 5; i++) q.put(i);
  });
  const got = await green(() => {
    const out = [];
    for (const x of q) {
      out.push(x);
      if (out.length === 3) break;
    }
    return out;
  });
  t.deepEqual(got, [0, 1, 2]);
  const rest = [];
  for await (const x of q) {
    rest.push(x);
    if (rest.length === 2) break;
  }
  t.deepEqual(rest, [3, 4]);
  await green(() => producer.wait());
});

test('getAsync/putAsync serve code outside green threads', async (t) => {
  const q = new Queue(1);
  const pending = q.getAsync();
  spawn(() => q.put('from thread'));
  t.is(await pending, 'from thread');
  await q.putAsync(1);
  const blocked = q.putAsync(2);
  t.is(q.putting(), 1);
  t.is(await green(() => q.get()), 1);
  await blocked;
  t.is(q.get(), 2);
});

test('LifoQueue returns the last item first', (t) => {
  const q = new LifoQueue();
  for (const x of [1, 2, 3]) q.put(x);
  t.is(q.peek(), 3);
  t.deepEqual([q.get(), q.get(), q.get()], [3, 2, 1]);
  t.throws(() => q.getNowait(), { instanceOf: Empty });
});

test('PriorityQueue returns the smallest first; equal priorities keep insertion order', (t) => {
  const q = new PriorityQueue();
  q.put([2, 'b1']);
  q.put([1, 'a']);
  q.put([2, 'b2']);
  q.put([0, 'z']);
  t.deepEqual(q.peek(), [0, 'z']);
  t.deepEqual([q.get(), q.get(), q.get(), q.get()], [[0, 'z'], [1, 'a'], [2, 'b1'], [2, 'b2']]);
  const byLength = new PriorityQueue(undefined, (a, b) => a.length - b.length);
  for (const s of ['ccc', 'a', 'bb']) byLength.put(s);
  t.deepEqual([byLength.get(), byLength.get(), byLength.get()], ['a', 'bb', 'ccc']);
  t.throws(() => new PriorityQueue(undefined, 42), { code: 'ERR_INVALID_ARG_TYPE' });
  t.is(defaultCompare([1, 2], [1, 3]), -1);
  t.is(defaultCompare('b', 'a'), 1);
  t.is(defaultCompare([1], [1, 0]) < 0, true);
});

test('PriorityQueue: a compare that returns no number or throws fails that put or get with nothing lost', (t) => {
  let mode = 'ok';
  const q = new PriorityQueue(undefined, (a, b) => {
    if (mode === 'object') return {};
    if (mode === 'throw') throw new Error('compare failed');
    return a - b;
  });
  for (const n of [5, 3, 8, 1]) q.put(n);
  mode = 'object';
  t.throws(() => q.put(2), { code: 'ERR_INVALID_RETURN_VALUE', instanceOf: TypeError });
  t.is(q.qsize(), 4);
  mode = 'throw';
  t.throws(() => q.getNowait(), { message: 'compare failed' });
  t.is(q.qsize(), 4, 'the item the failed get was taking is back in the queue');
  mode = 'ok';
  const rest = [q.get(), q.get(), q.get(), q.get()];
  t.deepEqual([...rest].sort((a, b) => a - b), [1, 3, 5, 8]);
});

test('JoinableQueue.join() returns once every item is marked done; taskDone misuse throws', async (t) => {
  const q = new JoinableQueue();
  t.true(q.join()); // nothing unfinished: returns at once, even on the hub
  const done = [];
  for (const x of [1, 2, 3]) q.put(x);
  t.is(q.unfinishedTasks(), 3);
  t.throws(() => q.join(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  const consumer = spawn(() => {
    for (const x of q) {
      sleep(1);
      done.push(x);
      q.taskDone();
    }
  });
  t.true(await green(() => q.join()));
  t.deepEqual(done, [1, 2, 3]);
  t.throws(() => q.taskDone(), { code: 'ERR_GREENPATCH_TASK_DONE' });
  consumer.kill();
});

test('JoinableQueue.join(timeout) returns false when tasks stay unfinished', async (t) => {
  const q = new JoinableQueue();
  q.put('never done');
  t.false(await green(() => q.join(5)));
  q.get();
  q.taskDone();
  t.true(await green(() => q.join(5)));
});

test('Channel hands items over only at a rendezvous', async (t) => {
  const ch = new Channel();
  t.is(ch.qsize(), 0);
  t.true(ch.empty());
  t.true(ch.full());
  t.is(ch.maxsize, 0);
  t.throws(() => ch.putNowait(1), { instanceOf: Full });
  t.throws(() => ch.getNowait(), { instanceOf: Empty });
  t.throws(() => ch.get(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  t.throws(() => ch.put(1), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  const log = [];
  const putter = spawn(() => {
    ch.put('a');
    log.push('a taken');
    ch.put('b');
    log.push('b taken');
  });
  await turns(2);
  t.is(ch.putting(), 1);
  t.deepEqual(log, []);
  t.is(ch.getNowait(), 'a');
  const got = await green(() => ch.get());
  t.is(got, 'b');
  await green(() => putter.wait());
  t.deepEqual(log, ['a taken', 'b taken']);
  const getter = spawn(() => ch.get());
  await turns(2);
  t.is(ch.getting(), 1);
  ch.putNowait('direct');
  t.is(await green(() => getter.wait()), 'direct');
});

test('Channel timeouts, async use and iteration', async (t) => {
  const ch = new Channel();
  await t.throwsAsync(green(() => ch.put('x', true, 5)), { instanceOf: Full });
  await t.throwsAsync(green(() => ch.get(true, 5)), { instanceOf: Empty });
  t.is(ch.putting() + ch.getting(), 0);
  const p = ch.getAsync();
  spawn(() => ch.put('async'));
  t.is(await p, 'async');
  const put = ch.putAsync('to thread');
  t.is(await green(() => ch.get()), 'to thread');
  await put;
  spawn(() => {
    for (let i = 0; i < 3; i++) ch.put(i);
  });
  const got = await green(() => {
    const out = [];
    for (const x of ch) {
      out.push(x);
      if (out.length === 3) break;
    }
    return out;
  });
  t.deepEqual(got, [0, 1, 2]);
  spawn(() => ch.put('for await'));
  for await (const x of ch) {
    t.is(x, 'for await');
    break;
  }
});

// Property tests: several producers and consumers with random sizes and
// random yields; every item comes out exactly once, and each producer's
// items come out in its order (FIFO).
const scenario = fc.record({
  maxsize: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(Infinity)),
  producers: fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
  consumers: fc.integer({ min: 1, max: 4 }),
});

function runScenario(QueueClass, { maxsize, producers, consumers }) {
  return green(() => {
    const q = QueueClass === Channel ? new Channel() : new QueueClass(maxsize);
    const total = producers.reduce((n, p) => n + p.length, 0);
    const STOP = Symbol('stop');
    const prod = producers.map((pauses, id) =>
      spawn(() => {
        pauses.forEach((pause, i) => {
          for (let k = 0; k < pause; k++) sleep(0);
          q.put([id, i]);
        });
      }),
    );
    const cons = Array.from({ length: consumers }, (_, c) =>
      spawn(() => {
        const seen = [];
        for (;;) {
          const item = q.get();
          if (item === STOP) return seen;
          seen.push(item);
          if ((seen.length + c) % 3 === 0) sleep(0);
        }
      }),
    );
    joinAll(prod);
    for (let c = 0; c < consumers; c++) q.put(STOP);
    const perConsumer = cons.map((th) => th.wait());
    return { total, perConsumer };
  });
}

for (const QueueClass of [Queue, Channel, JoinableQueue]) {
  test(`property: ${QueueClass.name} loses nothing, duplicates nothing, keeps each producer's order per consumer`, async (t) => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { total, perConsumer } = await runScenario(QueueClass, s);
        const all = perConsumer.flat();
        if (all.length !== total) return false;
        const keys = new Set(all.map(([p, i]) => `${p}:${i}`));
        if (keys.size !== total) return false;
        // Items of one producer reach any one consumer in production order.
        for (const seen of perConsumer) {
          const last = new Map();
          for (const [p, i] of seen) {
            if (last.has(p) && last.get(p) >= i) return false;
            last.set(p, i);
          }
        }
        return true;
      }),
      { numRuns: 40 },
    );
    t.pass();
  });
}

test('property: a single consumer of a FIFO Queue gets every producer\'s items in order; LifoQueue/PriorityQueue give back the same multiset', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer(), { maxLength: 50 }), fc.integer({ min: 1, max: 8 }), async (items, maxsize) => {
      const fifo = await green(() => {
        const q = new Queue(maxsize);
        spawn(() => items.forEach((x) => q.put(x)));
        return items.map(() => q.get());
      });
      if (JSON.stringify(fifo) !== JSON.stringify(items)) return false;
      const lifo = new LifoQueue();
      items.forEach((x) => lifo.put(x));
      const fromLifo = items.map(() => lifo.get());
      if (JSON.stringify(fromLifo) !== JSON.stringify([...items].reverse())) return false;
      const pq = new PriorityQueue();
      items.forEach((x) => pq.put(x));
      const sorted = items.map(() => pq.get());
      return JSON.stringify(sorted) === JSON.stringify([...items].sort((a, b) => a - b));
    }),
    { numRuns: 60 },
  );
  t.pass();
});

test('property: PriorityQueue is stable among equal priorities', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), (prios) => {
      const pq = new PriorityQueue(undefined, (a, b) => a.p - b.p);
      prios.forEach((p, i) => pq.put({ p, i }));
      const out = prios.map(() => pq.get());
      const expected = prios.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
      return JSON.stringify(out) === JSON.stringify(expected);
    }),
  );
  t.pass();
});

test('property: killing consumers at random points loses no item and duplicates none', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }), // maxsize
      fc.integer({ min: 0, max: 40 }), // items
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 5 }), // consumers: yields before being killed
      async (maxsize, count, killAfter) => {
        const q = new Queue(maxsize);
        const taken = [];
        const finals = [];
        await green(() => {
          const consumers = killAfter.map((_, c) =>
            spawn(() => {
              try {
                for (;;) {
                  taken.push(q.get());
                  sleep(0);
                }
              } finally {
                finals.push(c);
              }
            }),
          );
          const producer = spawn(() => {
            for (let i = 0; i < count; i++) q.put(i);
          });
          killAfter.forEach((turns, c) => {
            spawn(() => {
              for (let k = 0; k < turns; k++) sleep(0);
              consumers[c].kill();
            });
          });
          joinAll(consumers);
          // Whatever the consumers did not take is still in the queue (or
          // still being put by the producer, which now has room).
          const rest = [];
          while (rest.length + taken.length < count) rest.push(q.get());
          producer.wait();
          taken.push(...rest);
        });
        const sorted = [...taken].sort((a, b) => a - b);
        return (
          finals.length === killAfter.length &&
          JSON.stringify(sorted) === JSON.stringify(Array.from({ length: count }, (_, i) => i)) &&
          q.empty()
        );
      },
    ),
    { numRuns: 60 },
  );
  t.pass();
});
