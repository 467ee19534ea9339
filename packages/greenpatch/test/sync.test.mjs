// Event, AsyncResult, Semaphore, BoundedSemaphore, RLock, Timeout, withTimeout, local.
import test from 'ava';
import {
  spawn,
  sleep,
  wait,
  getCurrent,
  joinAll,
  Event,
  AsyncResult,
  Semaphore,
  BoundedSemaphore,
  RLock,
  Timeout,
  withTimeout,
  TimeoutError,
  local,
  Queue,
  GreenThreadExit,
} from 'greenpatch';
import { green, turns } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(10_000));

// --- Event ---

test('Event.wait blocks until set and wakes every waiter; clear resets it', async (t) => {
  const ev = new Event();
  t.false(ev.isSet());
  const woke = [];
  const waiters = [1, 2, 3].map((n) => spawn(() => woke.push([n, ev.wait()])));
  await turns(2);
  t.deepEqual(woke, []);
  ev.set();
  t.true(ev.isSet());
  await green(() => joinAll(waiters));
  t.deepEqual(woke, [[1, true], [2, true], [3, true]]);
  t.true(ev.wait()); // set: returns at once, even on the hub
  ev.clear();
  t.false(ev.isSet());
  t.throws(() => ev.wait(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /Event\.wait\(\)/ });
});

test('Event.wait(timeout) returns false when not set in time', async (t) => {
  const ev = new Event();
  t.false(await green(() => ev.wait(5)));
  t.throws(() => ev.wait(-1), { code: 'ERR_OUT_OF_RANGE' });
  spawn(() => {
    sleep(1);
    ev.set();
  });
  t.true(await green(() => ev.wait(5_000)));
});

test('a waiter woken by set() still returns true if clear() follows at once', async (t) => {
  const ev = new Event();
  const th = spawn(() => ev.wait());
  await turns(2);
  ev.set();
  ev.clear();
  t.true(await green(() => th.wait()));
});

// --- AsyncResult ---

test('AsyncResult.get blocks for the value; setException makes get throw and wait return undefined', async (t) => {
  const r = new AsyncResult();
  t.false(r.ready());
  const getter = spawn(() => r.get());
  const waiter = spawn(() => r.wait());
  await turns(2);
  r.set('v');
  t.deepEqual(await green(() => [getter.wait(), waiter.wait()]), ['v', 'v']);
  t.true(r.ready());
  t.true(r.successful());
  t.is(r.value, 'v');
  t.is(r.get(), 'v'); // ready: fine on the hub
  const bad = new AsyncResult();
  const g2 = spawn(() => bad.get());
  const w2 = spawn(() => bad.wait());
  await turns(2);
  bad.setException(new Error('failed result'));
  await t.throwsAsync(green(() => g2.wait()), { message: 'failed result' });
  t.is(await green(() => w2.wait()), undefined);
  t.false(bad.successful());
  t.is(bad.exception.message, 'failed result');
  t.throws(() => bad.get(), { message: 'failed result' });
});

test('AsyncResult.get timeouts and non-blocking get throw TimeoutError; wait(timeout) returns undefined', async (t) => {
  const r = new AsyncResult();
  t.throws(() => r.get(false), { instanceOf: TimeoutError });
  t.throws(() => r.get(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /AsyncResult\.get\(\)/ });
  await t.throwsAsync(green(() => r.get(true, 5)), { instanceOf: TimeoutError });
  t.is(await green(() => r.wait(5)), undefined);
  t.false(r.ready());
});

// --- Semaphore / BoundedSemaphore ---

test('Semaphore counts permits, blocks when none is left, serves waiters in order', async (t) => {
  const sem = new Semaphore(2);
  t.is(sem.value, 2);
  t.true(sem.acquire());
  t.true(sem.acquire());
  t.true(sem.locked());
  t.false(sem.acquire(false));
  t.throws(() => sem.acquire(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /Semaphore\.acquire\(\)/ });
  const order = [];
  const waiters = [1, 2].map((n) => spawn(() => {
    sem.acquire();
    order.push(n);
  }));
  await turns(2);
  t.is(sem.waiting(), 2);
  sem.release();
  const barger = spawn(() => sem.acquire(false)); // a released permit went to the first waiter
  sem.release();
  await green(() => joinAll(waiters));
  t.deepEqual(order, [1, 2]);
  t.false(await green(() => barger.wait()));
  t.is(sem.value, 0);
});

test('Semaphore.acquire(true, timeout) returns false in time; a timed-out waiter leaves no trace', async (t) => {
  const sem = new Semaphore(0);
  t.false(await green(() => sem.acquire(true, 5)));
  t.is(sem.waiting(), 0);
  sem.release();
  t.true(sem.acquire(false));
});

test('Semaphore refuses negative and fractional values', (t) => {
  t.throws(() => new Semaphore(-1), { code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => new Semaphore(0.5), { code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => new BoundedSemaphore(-2), { code: 'ERR_OUT_OF_RANGE' });
});

test('Semaphore.hold() returns a disposable that releases once', async (t) => {
  const sem = new Semaphore(1);
  const held = sem.hold();
  t.is(sem.value, 0);
  held[Symbol.dispose]();
  held.release();
  t.is(sem.value, 1);
  sem.acquire();
  await t.throwsAsync(green(() => sem.hold(2)), { instanceOf: TimeoutError });
  sem.release();
});

test('`using` releases a held semaphore at the end of the block (Node with explicit resource management)', async (t) => {
  let usingWorks;
  try {
    usingWorks = new Function('{ using x = { [Symbol.dispose]() {} }; } return true;')();
  } catch {
    usingWorks = false;
  }
  if (!usingWorks) {
    t.pass('this Node has no `using`');
    return;
  }
  const sem = new Semaphore(1);
  const body = new Function('sem', 'sleep', '{ using held = sem.hold(); sleep(1); if (sem.value !== 0) throw new Error("not held"); } return sem.value;');
  t.is(await green(() => body(sem, sleep)), 1);
});

test('a killed waiter does not take a permit; a permit handed over survives a later kill', async (t) => {
  const sem = new Semaphore(0);
  const victim = spawn(() => sem.acquire());
  await turns(2);
  victim.kill();
  await t.throwsAsync(green(() => victim.wait()), { instanceOf: GreenThreadExit });
  t.is(sem.waiting(), 0);
  sem.release();
  t.is(sem.value, 1);
  sem.acquire();
  const holder = spawn(() => {
    const ok = sem.acquire();
    try {
      new Event().wait(); // until killed, however loaded the machine
    } finally {
      sem.release();
    }
    return ok;
  });
  await turns(2);
  await green(() => {
    sem.release(); // hands the permit to holder
    holder.kill(); // the kill lands at holder's next blocking call
  });
  await t.throwsAsync(green(() => holder.wait()), { instanceOf: GreenThreadExit });
  t.is(sem.value, 1);
});

test('BoundedSemaphore.release beyond its bound throws ERR_GREENPATCH_SEMAPHORE_RELEASED', (t) => {
  const sem = new BoundedSemaphore(2);
  t.is(sem.bound, 2);
  t.throws(() => sem.release(), { code: 'ERR_GREENPATCH_SEMAPHORE_RELEASED' });
  sem.acquire();
  sem.release();
  t.is(sem.value, 2);
  t.throws(() => sem.release(), { code: 'ERR_GREENPATCH_SEMAPHORE_RELEASED' });
});

// --- RLock ---

test('RLock is reentrant for its owner and excludes other threads', async (t) => {
  const lock = new RLock();
  const log = [];
  // Each step waits for the one it must follow, not for a timer.
  const aHasIt = new Event();
  const bTried = new Event();
  const a = spawn(() => {
    lock.acquire();
    lock.acquire();
    t.true(lock.isOwned());
    log.push('a has it twice');
    aHasIt.set();
    bTried.wait();
    lock.release();
    log.push('a released once');
    sleep(2);
    lock.release();
    log.push('a released');
  });
  const b = spawn(() => {
    aHasIt.wait();
    t.true(lock.locked());
    t.false(lock.isOwned());
    t.false(lock.acquire(false));
    bTried.set();
    lock.acquire();
    log.push('b has it');
    lock.release();
  });
  await green(() => joinAll([a, b]));
  t.deepEqual(log, ['a has it twice', 'a released once', 'a released', 'b has it']);
  t.false(lock.locked());
});

test('RLock.release of an unacquired lock, or by another thread, throws ERR_GREENPATCH_LOCK_NOT_OWNED', async (t) => {
  const lock = new RLock();
  t.throws(() => lock.release(), { code: 'ERR_GREENPATCH_LOCK_NOT_OWNED' });
  const holder = spawn(() => {
    lock.acquire();
    new Event().wait(); // until killed
  });
  await turns(2);
  await t.throwsAsync(green(() => lock.release()), { code: 'ERR_GREENPATCH_LOCK_NOT_OWNED' });
  t.throws(() => lock.release(), { code: 'ERR_GREENPATCH_LOCK_NOT_OWNED' }); // the hub does not own it either
  t.throws(() => lock.acquire(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /RLock\.acquire\(\)/ });
  t.false(await green(() => lock.acquire(true, 5)));
  holder.kill();
  await t.throwsAsync(green(() => holder.wait()));
});

test('RLock on the hub: the hub is an owner of its own; hold() gives a disposable', async (t) => {
  const lock = new RLock();
  t.true(lock.acquire());
  t.true(lock.acquire());
  t.true(lock.isOwned());
  t.false(await green(() => lock.acquire(false)));
  lock.release();
  lock.release();
  t.false(lock.locked());
  const r = await green(() => {
    const h = lock.hold();
    const owned = lock.isOwned();
    h[Symbol.dispose]();
    return [owned, lock.locked()];
  });
  t.deepEqual(r, [true, false]);
});

// --- Timeout / withTimeout ---

test('Timeout interrupts the blocking call it is pending over, with a TimeoutError naming it', async (t) => {
  const e = await t.throwsAsync(
    green(() => {
      const to = new Timeout(5).start();
      t.true(to.pending);
      try {
        new Queue().get();
      } finally {
        to.cancel();
      }
    }),
  );
  t.true(e instanceof TimeoutError);
  t.is(e.code, 'ERR_GREENPATCH_TIMEOUT');
  t.true(e.timeout instanceof Timeout);
  t.false(e.timeout.pending);
});

test('Timeout with a custom error throws that error; finally blocks run', async (t) => {
  const steps = [];
  const e = await t.throwsAsync(
    green(() => {
      Timeout.startNew(2, new Error('custom timeout'));
      try {
        wait(new Promise(() => {}));
      } finally {
        steps.push('finally');
      }
    }),
  );
  t.is(e.message, 'custom timeout');
  t.deepEqual(steps, ['finally']);
});

test('a cancelled Timeout never fires; Infinity/null never fire; dispose cancels', async (t) => {
  const r = await green(() => {
    const to = new Timeout(2).start();
    to.cancel();
    t.false(to.pending);
    sleep(10);
    const never = new Timeout(null).start();
    t.false(never.pending);
    t.is(new Timeout().ms, Infinity);
    const disposed = Timeout.startNew(2);
    disposed[Symbol.dispose]();
    sleep(10);
    return 'survived';
  });
  t.is(r, 'survived');
});

test('Timeout misuse: negative ms, start outside a thread, start twice', async (t) => {
  t.throws(() => new Timeout(-1), { code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => new Timeout(5).start(), { code: 'ERR_GREENPATCH_NOT_IN_GREEN_THREAD' });
  const e = await t.throwsAsync(
    green(() => {
      const to = new Timeout(1000).start();
      try {
        to.start();
      } finally {
        to.cancel();
      }
    }),
  );
  t.is(e.code, 'ERR_GREENPATCH_TIMEOUT_STARTED');
});

test('a Timeout that fired while the call had already succeeded is withdrawn by cancel()', async (t) => {
  const r = await green(() => {
    const q = new Queue();
    // The put's timer fires first and wakes this thread; the Timeout fires
    // in the same timers phase, before the thread has resumed.
    setTimeout(() => q.put('item'), 1);
    const to = new Timeout(1).start();
    const item = q.get();
    to.cancel();
    sleep(5); // no stray TimeoutError here
    return item;
  });
  t.is(r, 'item');
});

test('withTimeout returns the result, throws TimeoutError, or returns timeoutValue', async (t) => {
  t.is(await green(() => withTimeout(1000, () => 'quick')), 'quick');
  await t.throwsAsync(green(() => withTimeout(2, () => sleep(1000))), { instanceOf: TimeoutError });
  t.is(await green(() => withTimeout(2, () => sleep(1000), { timeoutValue: 'fallback' })), 'fallback');
  t.is(await green(() => withTimeout(2, () => sleep(1000), { timeoutValue: undefined })), undefined);
  t.throws(() => withTimeout(5, () => 1), { code: 'ERR_GREENPATCH_NOT_IN_GREEN_THREAD' });
});

test('nested timeouts: the inner one\'s error passes through the outer withTimeout', async (t) => {
  const e = await t.throwsAsync(
    green(() =>
      withTimeout(1000, () => withTimeout(2, () => sleep(1000))),
    ),
  );
  t.true(e instanceof TimeoutError);
  const v = await green(() =>
    withTimeout(1000, () => withTimeout(2, () => sleep(1000), { timeoutValue: 'inner' }), { timeoutValue: 'outer' }),
  );
  t.is(v, 'inner');
  const outer = await green(() =>
    withTimeout(2, () => withTimeout(1000, () => sleep(1000), { timeoutValue: 'inner' }), { timeoutValue: 'outer' }),
  );
  t.is(outer, 'outer');
});

// --- local ---

test('local() keeps a value per green thread, and one for the hub', async (t) => {
  const ctx = local();
  ctx.who = 'hub';
  const seen = await green(() => {
    const threads = ['a', 'b', 'c'].map((name) =>
      spawn(() => {
        const before = ctx.who;
        ctx.who = name;
        sleep(1);
        sleep(0);
        return [before, ctx.who, 'who' in ctx, Object.keys(ctx)];
      }),
    );
    return threads.map((th) => th.wait());
  });
  t.deepEqual(seen, [
    [undefined, 'a', true, ['who']],
    [undefined, 'b', true, ['who']],
    [undefined, 'c', true, ['who']],
  ]);
  t.is(ctx.who, 'hub');
  delete ctx.who;
  t.false('who' in ctx);
  const two = local();
  const r = await green(() => {
    two.x = 1;
    Object.defineProperty(two, 'y', { value: 2, enumerable: true });
    return [two.x, two.y, local().x, getCurrent() !== undefined];
  });
  t.deepEqual(r, [1, 2, undefined, true]);
});
