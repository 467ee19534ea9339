// ThreadPool: CPU-bound tasks on worker threads (piscina) while only the
// calling green thread waits.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep, spawn, ThreadPool, Timeout } from 'greenpatch';
import { countPrimes } from './fixtures/cpu-tasks.mjs';
import { green } from './helpers/green.mjs';

const filename = new URL('./fixtures/cpu-tasks.mjs', import.meta.url);

test.beforeEach((t) => t.timeout(60_000));

test('four CPU-bound tasks run at once on four worker threads while a green thread keeps ticking', async (t) => {
  const pool = new ThreadPool(4, { filename });
  const shared = new SharedArrayBuffer(4);
  const limits = [200_000, 210_000, 220_000, 230_000];
  const { results, ticksDuring } = await green(() => {
    let ticks = 0;
    let ticking = true;
    const ticker = spawn(() => {
      while (ticking) {
        sleep(5);
        ticks++;
      }
    });
    const before = ticks;
    const results = limits.map((limit) => spawn(() => pool.apply('togetherThenCount', [shared, 4, limit]))).map((thread) => thread.wait());
    const ticksDuring = ticks - before;
    ticking = false;
    ticker.wait();
    return { results, ticksDuring };
  });
  t.deepEqual(results, limits.map(countPrimes));
  t.true(ticksDuring >= 2, `the ticker ticked ${ticksDuring} times during the work`);
  await pool.close();
});

test('map returns results in input order, at most `size` at a time; errors are thrown in the caller', async (t) => {
  const pool = new ThreadPool(2, { filename });
  const got = await green(() => {
    const counts = pool.map('countPrimes', [1000, 10, 5000, 100]);
    let error;
    try {
      pool.apply('fail', ['from the worker']);
    } catch (e) {
      error = e.message;
    }
    let missing;
    try {
      pool.apply('nothingHere');
    } catch (e) {
      missing = /no function export named 'nothingHere'/.test(e.message);
    }
    const explicit = pool.apply({ filename, name: 'countPrimes' }, [100]);
    return { counts, error, missing, explicit };
  });
  t.deepEqual(got, {
    counts: [1000, 10, 5000, 100].map(countPrimes),
    error: 'from the worker',
    missing: true, // errors cross threads as structured clones: message, name, stack
    explicit: countPrimes(100),
  });
  t.is(await pool.run('countPrimes', [50]), countPrimes(50));
  pool.close();
  t.throws(() => pool.run('countPrimes', [5]), { code: 'ERR_GREENPATCH_POOL_CLOSED' });
});

test('outside a green thread apply and map throw ERR_GREENPATCH_BLOCKING_ON_HUB; a Timeout abandons a running task', async (t) => {
  const pool = new ThreadPool(1, { filename });
  t.throws(() => pool.apply('countPrimes', [10]), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  t.throws(() => pool.map('countPrimes', [10]), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  const got = await green(() => {
    const timeout = new Timeout(50).start();
    let timedOut = false;
    try {
      pool.apply('spin', [30_000]);
    } catch (error) {
      timedOut = error.timeout === timeout;
    }
    // The worker running the abandoned task was replaced: the pool goes on.
    const after = pool.apply('countPrimes', [100]);
    pool.close();
    pool.join();
    return { timedOut, after };
  });
  t.deepEqual(got, { timedOut: true, after: countPrimes(100) });
});

test("kill() terminates the workers: a waiting apply throws (piscina's error)", async (t) => {
  const pool = new ThreadPool(1, { filename });
  const got = await green(() => {
    const waiter = spawn(() => {
      try {
        pool.apply('spin', [30_000]);
        return 'finished';
      } catch (error) {
        return error instanceof Error ? 'threw' : 'odd';
      }
    });
    sleep(50);
    pool.kill();
    return waiter.wait();
  });
  t.is(got, 'threw');
});

test('under --import greenpatch/register the entry blocks on a pool, and the process exits by itself', (t) => {
  const r = spawnSync(process.execPath, ['--import', 'greenpatch/register', fileURLToPath(new URL('./fixtures/thread-pool-main.mjs', import.meta.url))], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.deepEqual(JSON.parse(r.stdout), [countPrimes(100), countPrimes(1000)]);
});

test('new ThreadPool: a bad size or options that are not an object throw coded errors', (t) => {
  t.throws(() => new ThreadPool(0), { code: 'ERR_OUT_OF_RANGE' });
  for (const options of [null, 5, 'x']) {
    t.throws(() => new ThreadPool(1, options), { code: 'ERR_INVALID_ARG_TYPE', instanceOf: TypeError });
  }
});
