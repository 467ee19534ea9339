// Green threads: spawn, spawnN, spawnAfter, sleep, wait, kill, link, joinAll, killAll.
import test from 'ava';
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  block,
  spawn,
  spawnN,
  spawnAfter,
  sleep,
  wait,
  getCurrent,
  joinAll,
  killAll,
  GreenThread,
  GreenThreadExit,
  TimeoutError,
  setErrorHandler,
} from 'greenpatch';
import Fiber from '@greenpatch/fibers';
import { green, delay, turns } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(10_000));

test('spawn passes arguments and wait() returns the result', async (t) => {
  const r = await green(() => {
    const th = spawn((a, b) => {
      sleep(1);
      return a + b;
    }, 2, 3);
    t.true(th instanceof GreenThread);
    return th.wait();
  });
  t.is(r, 5);
});

test('wait() rethrows the thread\'s error; state accessors follow the life cycle', async (t) => {
  const boom = new Error('boom');
  const th = spawn(() => {
    sleep(1);
    throw boom;
  });
  t.false(th.dead);
  t.false(th.ready());
  t.false(th.started);
  t.false(th.successful());
  const e = await t.throwsAsync(green(() => th.wait()));
  t.is(e, boom);
  t.true(th.dead);
  t.true(th.ready());
  t.true(th.started);
  t.false(th.successful());
  t.is(th.exception, boom);
  t.is(th.value, undefined);
  const ok = spawn(() => 'v');
  await green(() => ok.wait());
  t.true(ok.successful());
  t.is(ok.value, 'v');
  t.is(ok.exception, undefined);
  t.is(ok.wait(), 'v'); // a finished thread can be waited for on the hub
});

test('wait() on an unfinished thread from the hub throws ERR_GREENPATCH_BLOCKING_ON_HUB', async (t) => {
  const th = spawn(() => sleep(1));
  t.throws(() => th.wait(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB', message: /GreenThread\.wait\(\)/ });
  await green(() => th.wait());
});

test('a thread waiting for itself gets ERR_GREENPATCH_WAIT_SELF', async (t) => {
  const e = await t.throwsAsync(green(() => getCurrent().wait()));
  t.is(e.code, 'ERR_GREENPATCH_WAIT_SELF');
});

test('wait(timeout) throws TimeoutError and leaves the thread running', async (t) => {
  let release;
  const th = spawn(() => wait(new Promise((resolve) => {
    release = resolve;
  })));
  const e = await t.throwsAsync(green(() => th.wait(1)));
  t.true(e instanceof TimeoutError);
  t.is(e.code, 'ERR_GREENPATCH_TIMEOUT');
  t.false(th.dead);
  release('late');
  t.is(await green(() => th.wait()), 'late');
});

test('name is settable and shows in toString; blockedIn tells where it waits', async (t) => {
  const th = spawn(() => sleep(10_000));
  t.regex(th.name, /^GreenThread-\d+$/);
  th.name = 'sleeper';
  t.is(String(th), 'GreenThread(sleeper)');
  await turns(2);
  t.is(th.blockedIn, 'sleep()');
  th.kill();
  await t.throwsAsync(green(() => th.wait()));
  t.is(th.blockedIn, undefined);
});

test('kill() raises GreenThreadExit at the blocking point; finally blocks run; wait() throws it', async (t) => {
  const steps = [];
  const th = spawn(() => {
    try {
      steps.push('start');
      sleep(10_000);
      steps.push('not reached');
    } finally {
      steps.push('finally');
    }
  });
  await turns(2);
  th.kill();
  const e = await t.throwsAsync(green(() => th.wait()));
  t.true(e instanceof GreenThreadExit);
  t.is(e.code, 'ERR_GREENPATCH_THREAD_EXIT');
  t.deepEqual(steps, ['start', 'finally']);
  t.false(th.successful());
});

test('kill(error) raises that error; a thread may catch it and return', async (t) => {
  const th = spawn(() => {
    try {
      wait(new Promise(() => {}));
    } catch (e) {
      return `caught ${e.message}`;
    }
  });
  await turns(2);
  th.kill(new Error('custom'));
  t.is(await green(() => th.wait()), 'caught custom');
});

test('kill() before the thread starts means it never runs', async (t) => {
  let ran = false;
  const th = spawn(() => {
    ran = true;
  });
  th.kill();
  t.true(th.dead);
  await turns(3);
  t.false(ran);
  t.false(th.started);
  t.true(th.exception instanceof GreenThreadExit);
});

test('kill() of a finished thread does nothing; a thread killing itself gets the error at once', async (t) => {
  const done = spawn(() => 1);
  await green(() => done.wait());
  done.kill();
  t.true(done.successful());
  const self = spawn(() => {
    try {
      getCurrent().kill(new Error('self'));
      return 'not thrown';
    } catch (e) {
      return e.message;
    }
  });
  t.is(await green(() => self.wait()), 'self');
});

test('kill() arriving after the thread was woken lands at its next blocking call', async (t) => {
  let wake;
  const steps = [];
  const th = spawn(() => {
    const v = block('test()', (w) => {
      wake = w;
    });
    steps.push(`got ${v}`);
    try {
      sleep(1000);
    } catch (e) {
      steps.push(e.name);
    }
  });
  await turns(2);
  t.is(th.blockedIn, 'test()');
  await green(() => {
    wake.resume('value'); // th is now woken, its resumption queued on the hub
    th.kill();
  });
  await green(() => th.wait());
  t.deepEqual(steps, ['got value', 'GreenThreadExit']);
});

test('link() callbacks run when the thread ends; unlink() removes one; link on a dead thread runs later', async (t) => {
  const calls = [];
  const th = spawn(() => sleep(1));
  const a = (x) => calls.push(['a', x === th]);
  const b = () => calls.push(['b']);
  th.link(a);
  th.link(b);
  th.unlink(b);
  await green(() => th.wait());
  await turns(1);
  t.deepEqual(calls, [['a', true]]);
  th.link(() => calls.push(['late']));
  t.is(calls.length, 1);
  await turns(2);
  t.deepEqual(calls, [['a', true], ['late']]);
  t.throws(() => th.link(42), { code: 'ERR_INVALID_ARG_TYPE' });
});

test.serial('an error thrown by a link callback goes to the error handler', async (t) => {
  const reported = [];
  const previous = setErrorHandler((e) => reported.push(e.message));
  try {
    const th = spawn(() => 1);
    th.link(() => {
      throw new Error('link broke');
    });
    await green(() => th.wait());
    await turns(2);
    t.deepEqual(reported, ['link broke']);
  } finally {
    setErrorHandler(previous);
  }
});

test('spawn/spawnN/spawnAfter refuse a non-function; spawnAfter a negative delay', (t) => {
  t.throws(() => spawn(42), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => spawnN('x'), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => spawnAfter(1, null), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => spawnAfter(-1, () => {}), { code: 'ERR_OUT_OF_RANGE' });
});

test('spawnN runs its function with arguments and returns nothing', async (t) => {
  const got = await new Promise((resolve) => {
    t.is(spawnN((a, b) => resolve([a, b, getCurrent() instanceof GreenThread]), 'x', 'y'), undefined);
  });
  t.deepEqual(got, ['x', 'y', true]);
});

test('spawnAfter starts the thread later; cancel() before then stops it', async (t) => {
  const order = [];
  const later = spawnAfter(10, (x) => {
    order.push(x);
    return x;
  }, 'later');
  const cancelled = spawnAfter(5, () => order.push('cancelled ran'));
  spawn(() => order.push('now'));
  t.true(cancelled.cancel());
  t.true(cancelled.dead);
  t.is(await green(() => later.wait()), 'later');
  t.false(later.cancel());
  await delay(10);
  t.deepEqual(order, ['now', 'later']);
});

test('sleep(ms) wakes after shorter timers and before longer ones; sleep refuses negative and NaN', async (t) => {
  // The timers are armed in the same synchronous stretch as the sleep, so
  // their order is fixed by their durations alone: Node runs due timers in
  // the order of their expiry, however late the process gets to them (a
  // loaded machine may find all three due at once).
  const order = [];
  let longer;
  const longerFired = new Promise((resolve) => {
    longer = resolve;
  });
  await green(() => {
    setTimeout(() => order.push('timer 5'), 5);
    setTimeout(() => {
      order.push('timer 500');
      longer();
    }, 500);
    sleep(30);
    order.push('slept 30');
  });
  await longerFired;
  t.deepEqual(order, ['timer 5', 'slept 30', 'timer 500']);
  await t.throwsAsync(green(() => sleep(-1)), { code: 'ERR_OUT_OF_RANGE' });
  await t.throwsAsync(green(() => sleep(Number.NaN)), { code: 'ERR_OUT_OF_RANGE' });
});

test('sleep(0) lets every other ready thread run before continuing', async (t) => {
  const order = [];
  const a = spawn(() => {
    order.push('a1');
    sleep();
    order.push('a2');
  });
  const b = spawn(() => {
    order.push('b1');
    sleep(0);
    order.push('b2');
  });
  await green(() => joinAll([a, b]));
  t.deepEqual(order, ['a1', 'b1', 'a2', 'b2']);
});

test('a thread sleeping longer than the timer maximum can be killed', async (t) => {
  const th = spawn(() => sleep(2 ** 31 + 5));
  await turns(2);
  th.kill();
  await t.throwsAsync(green(() => th.wait()), { instanceOf: GreenThreadExit });
});

test('getCurrent() returns the running thread\'s handle', async (t) => {
  let inside;
  const th = spawn(() => {
    inside = getCurrent();
  });
  await green(() => th.wait());
  t.is(inside, th);
});

test('joinAll waits for every thread and returns them; with a timeout returns the finished ones', async (t) => {
  const fast = spawn(() => 1);
  let release;
  const slow = spawn(() => wait(new Promise((resolve) => {
    release = resolve;
  })));
  const finished = await green(() => joinAll([fast, slow], { timeout: 20 }));
  t.deepEqual(finished, [fast]);
  release();
  const all = await green(() => joinAll([fast, slow]));
  t.deepEqual(all, [fast, slow]);
  t.deepEqual(joinAll([fast, slow]), [fast, slow]); // all finished: fine on the hub
});

test('joinAll with raiseError throws the first error; without it, errors stay in the threads', async (t) => {
  const bad = spawn(() => {
    sleep(1);
    throw new Error('bad');
  });
  const slow = spawn(() => wait(new Promise(() => {})));
  const e = await t.throwsAsync(green(() => joinAll([bad, slow], { raiseError: true })));
  t.is(e.message, 'bad');
  t.false(slow.dead);
  slow.kill();
  const r = await green(() => joinAll([bad, slow]));
  t.is(r.length, 2);
});

test('joinAll misuse: on the hub with live threads, non-threads, negative timeout', async (t) => {
  const th = spawn(() => sleep(1));
  t.throws(() => joinAll([th]), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  t.throws(() => joinAll([{}]), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => joinAll([th], { timeout: -5 }), { code: 'ERR_OUT_OF_RANGE' });
  await green(() => th.wait());
});

test('killAll kills every thread; with wait it returns once all are dead', async (t) => {
  const finals = [];
  const threads = [1, 2, 3].map((n) =>
    spawn(() => {
      try {
        sleep(10_000);
      } finally {
        finals.push(n);
      }
    }),
  );
  await turns(2);
  await green(() => killAll(threads, { wait: true }));
  t.true(threads.every((th) => th.dead));
  t.deepEqual(finals.sort(), [1, 2, 3]);
  const custom = spawn(() => sleep(10_000));
  await turns(2);
  killAll([custom], { error: new Error('custom kill') });
  await t.throwsAsync(green(() => custom.wait()), { message: 'custom kill' });
});

test('killAll including the calling thread kills the others first, then itself', async (t) => {
  const other = spawn(() => sleep(10_000));
  let me;
  const caller = spawn(() => {
    me = getCurrent();
    killAll([me, other]);
    return 'survived';
  });
  await t.throwsAsync(green(() => caller.wait()), { instanceOf: GreenThreadExit });
  await t.throwsAsync(green(() => other.wait()), { instanceOf: GreenThreadExit });
});

test('10,000 threads blocked at once all finish, with their results', async (t) => {
  const n = 10_000;
  const total = await green(() => {
    const threads = [];
    for (let i = 0; i < n; i++) threads.push(spawn((x) => {
      sleep(0);
      sleep(1);
      return x;
    }, i));
    let sum = 0;
    for (const th of threads) sum += th.wait();
    return sum;
  });
  t.is(total, (n * (n - 1)) / 2);
});

test('a stack overflow inside a green thread is that thread\'s error; others go on', async (t) => {
  const deep = spawn(() => {
    sleep(1);
    const recurse = (n) => recurse(n + 1) + 1;
    return recurse(0);
  });
  await t.throwsAsync(green(() => deep.wait()), { instanceOf: RangeError });
  t.is(await green(() => {
    sleep(0);
    return 'still fine';
  }), 'still fine');
});

test('errors thrown across many switches keep their identity and stack', async (t) => {
  const errors = await green(() => {
    const threads = Array.from({ length: 50 }, (_, i) =>
      spawn(() => {
        for (let k = 0; k < i % 5; k++) sleep(0);
        const e = new Error(`e${i}`);
        e.index = i;
        throw e;
      }),
    );
    return threads.map((th) => {
      try {
        th.wait();
        return null;
      } catch (e) {
        return e;
      }
    });
  });
  errors.forEach((e, i) => {
    t.is(e.index, i);
    t.regex(e.stack, new RegExp(`e${i}`));
  });
});

test('suspended threads keep their locals intact through garbage collections', async (t) => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const threads = Array.from({ length: 2000 }, (_, i) =>
    spawn(() => {
      const mine = { i, list: Array.from({ length: 20 }, (_, k) => `${i}:${k}`) };
      for (let round = 0; round < 5; round++) {
        const garbage = new Array(50).fill(round); // allocate while others are suspended
        sleep(0);
        if (garbage.length !== 50) return 'corrupt garbage';
      }
      return mine.list[19] === `${i}:19` && mine.i === i;
    }),
  );
  for (let k = 0; k < 5; k++) {
    await turns(1);
    gc();
  }
  const results = await green(() => threads.map((th) => th.wait()));
  t.true(results.every((r) => r === true));
});

test.serial('finished threads hand their fibers on: one after another they reuse one, at once each has its own', async (t) => {
  await green(() => {}); // warm: at least one idle fiber exists
  const before = Fiber.fibersCreated;
  for (let i = 0; i < 50; i++) {
    const thread = spawn((n) => {
      sleep(0);
      return n * 2;
    }, i);
    t.is(await green(() => thread.wait()), i * 2);
  }
  // Each green() helper thread and each spawned thread ran on idle fibers.
  t.true(Fiber.fibersCreated - before <= 2, `created ${Fiber.fibersCreated - before}`);
  // Threads alive together never share a fiber.
  const fibers = await green(() => {
    const threads = Array.from({ length: 20 }, () =>
      spawn(() => {
        const mine = Fiber.current;
        sleep(1);
        return mine === Fiber.current ? mine : undefined;
      }),
    );
    return threads.map((th) => th.wait());
  });
  t.is(new Set(fibers).size, 20);
  t.false(fibers.includes(undefined));
});

test.serial('a killed thread leaves its fiber fit for the next one; 1,500 threads at once end cleanly and later ones reuse fibers', async (t) => {
  const log = [];
  const victim = spawn(() => {
    try {
      sleep(10_000);
    } finally {
      log.push('finally');
    }
  });
  await turns(2);
  victim.kill();
  await green(() => victim.wait()).catch(() => {});
  t.deepEqual(log, ['finally']);
  t.is(await green(() => spawn(() => (sleep(0), 'next')).wait()), 'next');

  const round = async () => {
    const gate = { open: false };
    const threads = Array.from({ length: 1500 }, (_, i) =>
      spawn(() => {
        while (!gate.open) sleep(1);
        return i;
      }),
    );
    await delay(20);
    gate.open = true;
    const values = await green(() => threads.map((th) => th.wait()));
    t.is(values.reduce((a, b) => a + b, 0), (1499 * 1500) / 2);
  };
  await round();
  const before = Fiber.fibersCreated;
  await round();
  // At most the idle fibers the hub keeps (1,024) are reused; the rest are new.
  const created = Fiber.fibersCreated - before;
  t.true(created <= 1500 - 1000, `created ${created}`);
});

test('one hub turn resumes its threads in queue order, new threads and sleep(0) callers mixed, with or without async context to carry', (t) => {
  // In a fresh process, where no async hook is enabled until the second
  // round: first nothing is armed for sleep(0), then everything is.
  const script = `
    const { AsyncLocalStorage } = require('node:async_hooks');
    const { spawn, sleep } = require('greenpatch');
    const { contextNeedsArming } = require('./dist/context-arming.js');
    const rounds = [];
    function round(done) {
      const order = [];
      const armed = contextNeedsArming();
      spawn(() => {
        spawn(() => order.push('new1'));
        sleep(0);
        order.push('first');
        spawn(() => order.push('new2'));
        spawn(() => { sleep(0); order.push('new3 woke'); });
        sleep(0);
        order.push('first again');
      });
      spawn(() => {
        sleep(0);
        order.push('second');
        sleep(0);
        order.push('second again');
      });
      // Record once all seven entries are in (never on a timer that a loaded
      // machine could run first), then a little later, so that a stray
      // extra entry would show.
      const finish = (turn) => {
        if (order.length < 7 && turn < 100000) return setImmediate(finish, turn + 1);
        setTimeout(() => { rounds.push(armed + ': ' + order.join(', ')); done(); }, 20);
      };
      setImmediate(finish, 0);
    }
    round(() => {
      new AsyncLocalStorage().run(1, () => {});
      round(() => console.log(rounds.join('\\n')));
    });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.is(r.stderr, '');
  const order = 'new1, first, second, new2, first again, second again, new3 woke';
  const inAsyncHooks = '_enable' in AsyncLocalStorage.prototype;
  t.is(r.stdout, `false: ${order}\n${inAsyncHooks}: ${order}\n`);
});

// On Node 24 and 26 the engine carries the context with each fiber: an idle
// fiber must take its new thread's spawner's, not keep its last thread's.
test.serial('threads started one after another on reused fibers each run in their own spawner\'s AsyncLocalStorage context', async (t) => {
  // Each thread finishes before the next is spawned, so the next one runs
  // on the fiber the previous one left idle.
  const als = new AsyncLocalStorage();
  const seen = [];
  for (let i = 1; i <= 4; i++) {
    seen.push(
      await als.run({ id: i }, () =>
        new Promise((resolve) =>
          spawn(() => {
            const before = als.getStore()?.id;
            sleep(0);
            resolve([before, als.getStore()?.id]);
          }),
        ),
      ),
    );
  }
  t.deepEqual(seen, [[1, 1], [2, 2], [3, 3], [4, 4]]);
  // And outside any run(), a reused fiber carries no store of a thread before.
  t.is(await new Promise((resolve) => spawn(() => resolve(als.getStore()))), undefined);
});
