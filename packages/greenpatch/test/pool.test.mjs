// GreenPool and GreenPile: bounds, blocking spawn, imap family, resize, waitAll,
// and property tests (nothing lost, nothing duplicated, order where promised).
import test from 'ava';
import fc from 'fast-check';
import { spawn, sleep, wait, GreenPool, GreenPile, GreenThread, Event, setErrorHandler } from 'greenpatch';
import { green, turns } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(30_000));

test('GreenPool bounds concurrency; spawn blocks while full; counters follow', async (t) => {
  const pool = new GreenPool(2);
  t.is(pool.size, 2);
  t.is(pool.free(), 2);
  const gate = new Event();
  let peak = 0;
  let now = 0;
  const work = (x) => {
    now++;
    peak = Math.max(peak, now);
    gate.wait();
    now--;
    return x * 2;
  };
  const results = await green(() => {
    const a = pool.spawn(work, 1);
    const b = pool.spawn(work, 2);
    t.true(a instanceof GreenThread);
    t.is(pool.running(), 2);
    t.is(pool.free(), 0);
    const blockedSpawner = spawn(() => pool.spawn(work, 3));
    sleep(0);
    sleep(0);
    t.is(pool.waiting(), 1);
    gate.set();
    const c = blockedSpawner.wait();
    return [a.wait(), b.wait(), c.wait()];
  });
  t.deepEqual(results, [2, 4, 6]);
  t.is(peak, 2);
  t.is(pool.running(), 0);
});

test('GreenPool.spawn when full on the hub throws ERR_GREENPATCH_BLOCKING_ON_HUB; when not full it works on the hub', async (t) => {
  const pool = new GreenPool(1);
  const th = pool.spawn(() => sleep(1));
  t.throws(() => pool.spawn(() => {}), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /GreenPool\.spawn\(\)/ });
  t.is(pool.running(), 1);
  await green(() => th.wait());
  t.is(pool.running(), 0);
});

test('GreenPool refuses negative and fractional sizes and non-functions', (t) => {
  t.throws(() => new GreenPool(-1), { code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => new GreenPool(1.5), { code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => new GreenPool(2).resize(-3), { code: 'ERR_OUT_OF_RANGE' });
  const pool = new GreenPool(2);
  t.throws(() => pool.spawn(42), { code: 'ERR_INVALID_ARG_TYPE' });
  t.is(pool.running(), 0); // no slot leaked
  t.throws(() => pool.imap(null, [1]), { code: 'ERR_INVALID_ARG_TYPE' });
  t.is(new GreenPool().size, 1000);
});

test.serial('GreenPool.spawnN runs without a handle; its error goes to the error handler', async (t) => {
  const reported = [];
  const previous = setErrorHandler((e) => reported.push(e.message));
  try {
    const pool = new GreenPool(2);
    const ran = [];
    t.is(pool.spawnN((x) => ran.push(x), 'a'), undefined);
    pool.spawnN(() => {
      throw new Error('spawnN failure');
    });
    await green(() => pool.waitAll());
    t.deepEqual(ran, ['a']);
    t.deepEqual(reported, ['spawnN failure']);
  } finally {
    setErrorHandler(previous);
  }
});

test('waitAll blocks until the pool is idle; with a timeout returns false', async (t) => {
  const pool = new GreenPool(3);
  t.true(pool.waitAll()); // idle: at once, even on the hub
  const done = [];
  for (const n of [3, 1, 2]) pool.spawn(() => {
    sleep(n);
    done.push(n);
  });
  t.throws(() => pool.waitAll(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  t.true(await green(() => pool.waitAll()));
  t.is(done.length, 3);
  const gate = new Event();
  pool.spawn(() => gate.wait());
  t.false(await green(() => pool.waitAll(5)));
  gate.set();
  t.true(await green(() => pool.waitAll()));
});

test('resize grows to let waiting spawners in and shrinks without killing', async (t) => {
  const pool = new GreenPool(1);
  const gate = new Event();
  const started = [];
  await green(() => {
    pool.spawn(() => {
      started.push(1);
      gate.wait();
    });
    const s2 = spawn(() => pool.spawn(() => started.push(2)));
    const s3 = spawn(() => pool.spawn(() => started.push(3)));
    sleep(0);
    t.is(pool.waiting(), 2);
    pool.resize(3);
    t.is(pool.waiting(), 0);
    s2.wait();
    s3.wait();
    sleep(0);
    t.deepEqual(started.sort(), [1, 2, 3]);
    pool.resize(0);
    t.is(pool.free(), 0);
    const s4 = spawn(() => pool.spawn(() => started.push(4)));
    sleep(0);
    gate.set();
    sleep(1);
    t.is(pool.waiting(), 1);
    pool.resize(1);
    s4.wait().wait();
  });
  t.deepEqual(started.sort(), [1, 2, 3, 4]);
});

test('imap yields results in input order, lazily, bounded by the pool', async (t) => {
  const pool = new GreenPool(3);
  let pulled = 0;
  function* inputs() {
    for (let i = 0; i < 10; i++) {
      pulled++;
      yield i;
    }
  }
  let peak = 0;
  let now = 0;
  const out = await green(() => {
    const results = [];
    const it = pool.imap((x) => {
      now++;
      peak = Math.max(peak, now);
      sleep(10 - x);
      now--;
      return x * x;
    }, inputs());
    t.is(pulled, 0); // lazy: nothing read before iteration
    for (const r of it) {
      results.push(r);
      t.true(pulled <= results.length + 3);
    }
    return results;
  });
  t.deepEqual(out, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  t.true(peak <= 3);
});

test('imap zips several iterables; starmap spreads argument arrays; map collects', async (t) => {
  const pool = new GreenPool(4);
  const [zipped, star, mapped, empty] = await green(() => [
    [...pool.imap((a, b) => a + b, [1, 2, 3], [10, 20])],
    [...pool.starmap((a, b, c) => a * b * c, [[1, 2, 3], [2, 2, 2]])],
    pool.map((s) => s.toUpperCase(), ['a', 'b']),
    pool.map((x) => x, []),
  ]);
  t.deepEqual(zipped, [11, 22]);
  t.deepEqual(star, [6, 8]);
  t.deepEqual(mapped, ['A', 'B']);
  t.deepEqual(empty, []);
  await t.throwsAsync(green(() => [...pool.starmap((x) => x, [1])]), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(green(() => [...pool.imap((x) => x)]), { code: 'ERR_MISSING_ARGS' });
});

test('imap on the hub throws ERR_GREENPATCH_BLOCKING_ON_HUB before running anything', (t) => {
  const pool = new GreenPool(2);
  let called = false;
  const it = pool.imap(() => {
    called = true;
  }, [1, 2]);
  t.throws(() => it.next(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /GreenPool\.imap\(\)/ });
  t.throws(() => pool.map((x) => x, [1]), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  t.false(called);
  t.is(pool.running(), 0);
});

test('imap throws the first failing call\'s error in order', async (t) => {
  const pool = new GreenPool(2);
  const e = await t.throwsAsync(
    green(() => {
      const seen = [];
      for (const r of pool.imap((x) => {
        if (x === 2) throw new Error('item 2 failed');
        return x;
      }, [0, 1, 2, 3])) seen.push(r);
      return seen;
    }),
  );
  t.is(e.message, 'item 2 failed');
  await green(() => pool.waitAll());
});

test('imapUnordered yields in completion order', async (t) => {
  const pool = new GreenPool(4);
  const gates = [new Event(), new Event(), new Event()];
  const out = await green(() => {
    const results = [];
    const driver = spawn(() => {
      for (const i of [2, 0, 1]) {
        gates[i].set();
        sleep(1);
      }
    });
    for (const r of pool.imapUnordered((i) => {
      gates[i].wait();
      return i;
    }, [0, 1, 2])) results.push(r);
    driver.wait();
    return results;
  });
  t.deepEqual(out, [2, 0, 1]);
});

test('GreenPile returns results in spawn order and ends when all are read', async (t) => {
  const out = await green(() => {
    const pile = new GreenPile(2);
    for (const n of [5, 1, 3]) pile.spawn((x) => {
      sleep(x);
      return x * 10;
    }, n);
    t.is(pile.length, 3);
    return [...pile];
  });
  t.deepEqual(out, [50, 10, 30]);
  const shared = new GreenPool(1);
  const pile = new GreenPile(shared);
  t.is(pile.pool, shared);
  t.deepEqual(pile.next(), { done: true, value: undefined });
  t.throws(() => new GreenPile(-2), { code: 'ERR_OUT_OF_RANGE' });
  const failing = await t.throwsAsync(
    green(() => {
      const p = new GreenPile();
      p.spawn(() => {
        throw new Error('pile item');
      });
      return [...p];
    }),
  );
  t.is(failing.message, 'pile item');
});

test('a pool thread waiting on a promise counts as running until it settles', async (t) => {
  const pool = new GreenPool(1);
  let resolve;
  const th = pool.spawn(() => wait(new Promise((r) => {
    resolve = r;
  })));
  await turns(2);
  t.is(pool.running(), 1);
  resolve('ok');
  t.is(await green(() => th.wait()), 'ok');
  t.is(pool.running(), 0);
});

test('property: imap returns every result once, in input order, never above the pool size', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      async (pauses, size) => {
        const pool = new GreenPool(size);
        let now = 0;
        let peak = 0;
        const out = await green(() =>
          pool.map((pause, i) => {
            now++;
            peak = Math.max(peak, now);
            for (let k = 0; k < pause; k++) sleep(0);
            now--;
            return i;
          }, pauses, pauses.keys()),
        );
        return peak <= size && JSON.stringify(out) === JSON.stringify(pauses.map((_, i) => i));
      },
    ),
    { numRuns: 50 },
  );
  t.pass();
});

test('property: imapUnordered returns the same multiset as the inputs', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      async (pauses, size) => {
        const pool = new GreenPool(size);
        const out = await green(() => [
          ...pool.imapUnordered((pause, i) => {
            for (let k = 0; k < pause; k++) sleep(0);
            return i;
          }, pauses, pauses.keys()),
        ]);
        return JSON.stringify([...out].sort((a, b) => a - b)) === JSON.stringify(pauses.map((_, i) => i));
      },
    ),
    { numRuns: 50 },
  );
  t.pass();
});

test('property: spawning into a pool from many threads runs every job exactly once within the bound', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 8 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 4 }),
      async (spawners, size) => {
        const pool = new GreenPool(size);
        const ran = [];
        let now = 0;
        let peak = 0;
        await green(() => {
          const threads = spawners.map((jobs, s) =>
            spawn(() => {
              jobs.forEach((pause, j) =>
                pool.spawn(() => {
                  now++;
                  peak = Math.max(peak, now);
                  for (let k = 0; k < pause; k++) sleep(0);
                  ran.push(`${s}:${j}`);
                  now--;
                }),
              );
            }),
          );
          for (const th of threads) th.wait();
          pool.waitAll();
        });
        const expected = spawners.flatMap((jobs, s) => jobs.map((_, j) => `${s}:${j}`));
        return peak <= size && ran.length === expected.length && new Set(ran).size === expected.length && pool.running() === 0;
      },
    ),
    { numRuns: 40 },
  );
  t.pass();
});

test('a pool asks the fiber engine to keep as many stacks for reuse as its size (never fewer than before)', async (t) => {
  const { default: Fiber } = await import('@greenpatch/fibers');
  const before = Fiber.poolSize;
  new GreenPool(before + 7);
  t.is(Fiber.poolSize, before + 7);
  new GreenPool(1).resize(2);
  t.is(Fiber.poolSize, before + 7);
  new GreenPool(Infinity);
  t.true(Fiber.poolSize <= 10_000);
});
