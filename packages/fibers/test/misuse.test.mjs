// Misuse throws an Error with a code; it never crashes the process.
import test from 'ava';
import Fiber from '@greenpatch/fibers';

test('Fiber.yield() outside a fiber', (t) => {
  t.throws(() => Fiber.yield(1), { code: 'ERR_FIBER_YIELD_OUTSIDE', message: /no fiber running/ });
});

test('run() of the running fiber from inside itself', (t) => {
  const fiber = Fiber(() => fiber.run());
  t.throws(() => fiber.run(), { code: 'ERR_FIBER_RUNNING' });
  t.false(fiber.started);
});

test('run() of a fiber that is waiting for a fiber it started', (t) => {
  const outer = Fiber(() => {
    Fiber(() => outer.run()).run();
  });
  t.throws(() => outer.run(), { code: 'ERR_FIBER_RUNNING' });
});

test('a non-function to Fiber', (t) => {
  for (const bad of [undefined, null, 1, 'fn', {}]) {
    t.throws(() => Fiber(bad), { code: 'ERR_INVALID_ARG_TYPE', instanceOf: TypeError });
    t.throws(() => new Fiber(bad), { code: 'ERR_INVALID_ARG_TYPE', instanceOf: TypeError });
  }
});

test('throwInto() a fiber that is not yielding', (t) => {
  const fresh = Fiber(() => {});
  t.throws(() => fresh.throwInto(new Error('x')), { code: 'ERR_FIBER_NOT_YIELDING' });
  const done = Fiber(() => 1);
  done.run();
  t.throws(() => done.throwInto(new Error('x')), { code: 'ERR_FIBER_NOT_YIELDING' });
  const self = Fiber(() => self.throwInto(new Error('x')));
  t.throws(() => self.run(), { code: 'ERR_FIBER_RUNNING' });
});

test('reset() of a running fiber', (t) => {
  const fiber = Fiber(() => fiber.reset());
  t.throws(() => fiber.run(), { code: 'ERR_FIBER_RUNNING' });
});

test('methods called on something that is not a fiber', (t) => {
  t.throws(() => Fiber.prototype.run.call({}), { code: 'ERR_INVALID_THIS' });
  t.throws(() => Fiber.prototype.throwInto.call(null, new Error()), { code: 'ERR_INVALID_THIS' });
  t.throws(() => Reflect.get(Fiber.prototype, 'started', {}), { code: 'ERR_INVALID_THIS' });
});

test('out-of-range settings', (t) => {
  for (const bad of [-1, 1.5, NaN, 'x', 2e6]) {
    t.throws(() => {
      Fiber.poolSize = bad;
    }, { code: 'ERR_OUT_OF_RANGE' });
  }
  // Below V8's stack area (984 KiB by default) plus the native reserve.
  for (const bad of [0, 1024, 512 * 1024, 1024 * 1024, 2 ** 31, 'big']) {
    t.throws(() => {
      Fiber.stackSize = bad;
    }, { code: 'ERR_OUT_OF_RANGE' });
  }
  t.is(Fiber.poolSize, 120);
});

test('the native handle rejects a foreign receiver and a missing function', async (t) => {
  const { binding } = await import('../dist/binding.js');
  const co = new binding.Coroutine();
  t.throws(() => co.resume.call({}, 1, false, () => {}), { code: 'ERR_INVALID_THIS' });
  t.throws(() => co.resume(1, false, 'not a function'), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => binding.Coroutine(), { code: 'ERR_CONSTRUCT_CALL_REQUIRED' });
  t.is(co.state(), 0);
});

test('an error thrown while the fiber is deep in JavaScript frames unwinds cleanly', (t) => {
  const fiber = Fiber(() => {
    [1, 2, 3].forEach((n) => {
      JSON.parse('{}', () => {
        if (n === 2) Fiber.yield(n);
        return null;
      });
    });
    return 'finished';
  });
  t.is(fiber.run(), 2);
  t.is(fiber.run(), 'finished');
});
