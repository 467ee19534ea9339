// The node-fibers API, point by point.
import test from 'ava';
import Fiber from '@greenpatch/fibers';

test('Fiber(fn) and new Fiber(fn) both create fibers', (t) => {
  const a = Fiber(() => 1);
  const b = new Fiber(() => 2);
  t.true(a instanceof Fiber);
  t.true(b instanceof Fiber);
  t.is(a.run(), 1);
  t.is(b.run(), 2);
});

test('run() passes its value in; yield() passes values out and back', (t) => {
  const seen = [];
  const fiber = Fiber((first) => {
    seen.push(first);
    seen.push(Fiber.yield('a'));
    seen.push(Fiber.yield('b'));
    return 'end';
  });
  t.is(fiber.run(1), 'a');
  t.is(fiber.run(2), 'b');
  t.is(fiber.run(3), 'end');
  t.deepEqual(seen, [1, 2, 3]);
});

test('values of every kind cross a switch unchanged', (t) => {
  const values = [undefined, null, 0, -0, NaN, 'str', Symbol('s'), 10n, { o: 1 }, [1, 2], () => 3];
  const fiber = Fiber((v) => {
    for (;;) v = Fiber.yield(v);
  });
  fiber.run(undefined);
  for (const v of values) t.is(fiber.run(v), v);
});

test('Fiber.current is the running fiber, undefined outside', (t) => {
  t.is(Fiber.current, undefined);
  let inner;
  const outer = Fiber(() => {
    t.is(Fiber.current, outer);
    inner = Fiber(() => {
      t.is(Fiber.current, inner);
      Fiber.yield();
      t.is(Fiber.current, inner);
    });
    inner.run();
    t.is(Fiber.current, outer);
    Fiber.yield();
  });
  outer.run();
  t.is(Fiber.current, undefined);
  inner.run(); // resumed from the thread's stack this time
  t.is(Fiber.current, undefined);
});

test('started is true from run() until the function returns', (t) => {
  const fiber = Fiber(() => {
    t.true(fiber.started);
    Fiber.yield();
  });
  t.false(fiber.started);
  fiber.run();
  t.true(fiber.started);
  fiber.run();
  t.false(fiber.started);
});

test('a finished fiber runs again from the start', (t) => {
  let calls = 0;
  const fiber = Fiber((v) => {
    calls++;
    return Fiber.yield(v) * 2;
  });
  t.is(fiber.run(1), 1);
  t.is(fiber.run(5), 10);
  t.is(fiber.run(7), 7);
  t.is(fiber.run(8), 16);
  t.is(calls, 2);
});

test('an exception thrown in a fiber comes out of run() with its stack', (t) => {
  function failsInside() {
    throw new TypeError('from the fiber');
  }
  const fiber = Fiber(() => {
    Fiber.yield();
    failsInside();
  });
  fiber.run();
  const error = t.throws(() => fiber.run(), { instanceOf: TypeError, message: 'from the fiber' });
  t.regex(error.stack, /failsInside/);
  t.false(fiber.started);
});

test('throwInto() raises at the yield point; the fiber may catch it', (t) => {
  const fiber = Fiber(() => {
    try {
      Fiber.yield('waiting');
    } catch (error) {
      return `caught ${error.message}`;
    }
    return 'not thrown';
  });
  fiber.run();
  t.is(fiber.throwInto(new Error('boom')), 'caught boom');
});

test('throwInto() an uncaught error comes back out of throwInto()', (t) => {
  const fiber = Fiber(() => Fiber.yield());
  fiber.run();
  const err = new Error('through');
  t.is(t.throws(() => fiber.throwInto(err)), err);
  t.false(fiber.started);
});

test('reset() runs finally blocks and makes the fiber new again', (t) => {
  const log = [];
  const fiber = Fiber(() => {
    try {
      log.push('start');
      Fiber.yield();
      log.push('not reached');
    } finally {
      log.push('finally');
    }
  });
  fiber.run();
  t.is(fiber.reset(), undefined);
  t.false(fiber.started);
  t.deepEqual(log, ['start', 'finally']);
  fiber.run();
  t.deepEqual(log, ['start', 'finally', 'start']);
});

test('reset() returns what a fiber returns after catching the reset', (t) => {
  const fiber = Fiber(() => {
    try {
      Fiber.yield();
    } catch (error) {
      t.true(error instanceof Fiber.ResetError);
      t.is(error.code, 'ERR_FIBER_RESET');
      return 'cleaned up';
    }
  });
  fiber.run();
  t.is(fiber.reset(), 'cleaned up');
});

test('reset() of a fiber that never started does nothing', (t) => {
  let ran = false;
  const fiber = Fiber(() => {
    ran = true;
  });
  t.is(fiber.reset(), undefined);
  t.false(ran);
});

test('reset() rethrows an error raised while unwinding', (t) => {
  const fiber = Fiber(() => {
    try {
      Fiber.yield();
    } finally {
      throw new Error('cleanup failed');
    }
  });
  fiber.run();
  t.throws(() => fiber.reset(), { message: 'cleanup failed' });
  t.false(fiber.started);
});

test('reset() makes a zombie: each later yield throws again until the function ends (node-fibers unwind.js)', (t) => {
  let caught = 0;
  let i;
  const fiber = Fiber(() => {
    for (i = 0; i < 50; i++) {
      try {
        Fiber.yield();
      } catch (error) {
        if (error instanceof Fiber.ResetError) caught++;
      }
    }
    return 'ended';
  });
  fiber.run();
  t.is(fiber.reset(), 'ended');
  t.is(i, 50);
  t.is(caught, 50);
  t.false(fiber.started);
  // No longer a zombie once it ended: it runs and yields normally again.
  t.is(fiber.run(), undefined);
  t.true(fiber.started);
  t.is(fiber.reset(), 'ended');
});

test('poolSize, stackSize and fibersCreated', (t) => {
  const before = Fiber.fibersCreated;
  Fiber(() => {}).run();
  Fiber(() => {}).run();
  t.is(Fiber.fibersCreated, before + 2);
  const pool = Fiber.poolSize;
  t.is(pool, 120);
  Fiber.poolSize = 3;
  t.is(Fiber.poolSize, 3);
  Fiber.poolSize = pool;
  const stack = Fiber.stackSize;
  t.is(stack, 2 * 1024 * 1024);
  Fiber.stackSize = 1536 * 1024;
  t.is(Fiber.stackSize, 1536 * 1024);
  t.is(Fiber(() => 'small stack').run(), 'small stack');
  Fiber.stackSize = stack;
  t.is(Fiber.backend, process.env.GREENPATCH_BACKEND === 'threads' ? 'threads' : 'native');
});

test('a fiber can start and resume fibers of its own', (t) => {
  const order = [];
  const child = Fiber(() => {
    order.push('child 1');
    Fiber.yield();
    order.push('child 2');
  });
  const parent = Fiber(() => {
    order.push('parent 1');
    child.run();
    order.push('parent 2');
    Fiber.yield();
    child.run();
    order.push('parent 3');
  });
  parent.run();
  parent.run();
  t.deepEqual(order, ['parent 1', 'child 1', 'parent 2', 'child 2', 'parent 3']);
});

test('a fiber resumed from a timer and from a promise reaction', async (t) => {
  const fiber = Fiber(() => {
    const a = Fiber.yield();
    const b = Fiber.yield();
    return a + b;
  });
  fiber.run();
  await new Promise((resolve) => setTimeout(() => resolve(fiber.run(1)), 1));
  const result = await Promise.resolve().then(() => fiber.run(2));
  t.is(result, 3);
});

test('the require() form works from CommonJS', async (t) => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const F = require('@greenpatch/fibers');
  t.is(F, Fiber);
  t.is(typeof require('@greenpatch/fibers/future'), 'function');
});
