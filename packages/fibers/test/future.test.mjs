// node-fibers' Future.
import test from 'ava';
import Fiber from '@greenpatch/fibers';
import Future from '@greenpatch/fibers/future';

const later = (fn, ms = 1) => setTimeout(fn, ms);

// Runs fn in a fiber and resolves with what it returns (or rejects).
function inFiber(fn) {
  return new Promise((resolve, reject) => {
    Fiber(() => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    }).run();
  });
}

test('wait() suspends the fiber until return()', async (t) => {
  const future = new Future();
  later(() => future.return(42));
  t.is(await inFiber(() => future.wait()), 42);
  t.true(future.isResolved());
});

test('wait() throws what throw() was given', async (t) => {
  const future = new Future();
  const error = new Error('failed later');
  later(() => future.throw(error));
  t.is(await t.throwsAsync(inFiber(() => future.wait())), error);
});

test('get() before resolution, and after', (t) => {
  const future = new Future();
  t.false(future.isResolved());
  t.throws(() => future.get(), { code: 'ERR_FUTURE_NOT_RESOLVED' });
  future.return('v');
  t.is(future.get(), 'v');
  const failed = new Future();
  failed.throw(new Error('e'));
  t.throws(() => failed.get(), { message: 'e' });
});

test('resolving twice is an error', (t) => {
  const future = new Future();
  future.return(1);
  t.throws(() => future.return(2), { code: 'ERR_FUTURE_RESOLVED' });
  t.throws(() => future.throw(new Error()), { code: 'ERR_FUTURE_RESOLVED' });
  t.is(future.get(), 1);
});

test('wait() outside a fiber', (t) => {
  const future = new Future();
  t.throws(() => future.wait(), { code: 'ERR_FIBER_YIELD_OUTSIDE' });
  t.throws(() => Future.wait(future), { code: 'ERR_FIBER_YIELD_OUTSIDE' });
  future.return(1);
  t.is(future.wait(), 1); // resolved: no fiber needed
});

test('resolver() gives a node-style callback', (t) => {
  const ok = new Future();
  ok.resolver()(null, 'value');
  t.is(ok.get(), 'value');
  const bad = new Future();
  bad.resolver()(new Error('cb error'));
  t.throws(() => bad.get(), { message: 'cb error' });
});

test('resolve() with one callback and with two', (t) => {
  const calls = [];
  const a = new Future();
  a.resolve((err, val) => calls.push(['one', err, val]));
  a.return(1);
  const b = new Future();
  const error = new Error('two');
  b.resolve(
    (err) => calls.push(['err', err]),
    (val) => calls.push(['val', val]),
  );
  b.throw(error);
  const c = new Future();
  c.return(3);
  c.resolve((err, val) => calls.push(['late', err, val]));
  t.deepEqual(calls, [
    ['one', undefined, 1],
    ['err', error],
    ['late', undefined, 3],
  ]);
});

test('detach() rethrows an error where the future resolves', (t) => {
  const future = new Future();
  future.detach();
  t.throws(() => future.throw(new Error('not lost')), { message: 'not lost' });
  const fine = new Future();
  fine.detach();
  t.notThrows(() => fine.return(1));
});

test('Future.task() runs a function in a new fiber', async (t) => {
  const value = await inFiber(() => {
    const outer = Fiber.current;
    const future = Future.task(() => {
      t.not(Fiber.current, outer);
      const inner = new Future();
      later(() => inner.return('from task'));
      return inner.wait();
    });
    return future.wait();
  });
  t.is(value, 'from task');
  const failing = Future.task(() => {
    throw new Error('task failed');
  });
  t.throws(() => failing.get(), { message: 'task failed' });
});

test('Future.wait() waits for all, in any order, without throwing', async (t) => {
  const a = new Future();
  const b = new Future();
  const c = new Future();
  later(() => b.return('b'), 1);
  later(() => a.throw(new Error('a')), 3);
  later(() => c.return('c'), 2);
  await inFiber(() => Future.wait(a, [b, c]));
  t.true(a.isResolved() && b.isResolved() && c.isResolved());
  t.is(b.get(), 'b');
  t.throws(() => a.get(), { message: 'a' });
  t.throws(() => Future.wait(a, 'x'), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('Future.wrap() of a function', async (t) => {
  const add = (x, y, cb) => later(() => cb(null, x + y));
  const fails = (cb) => later(() => cb(new Error('wrapped failure')));
  const multi = (cb) => later(() => cb(null, 1, 2));
  const addF = Future.wrap(add);
  const failsF = Future.wrap(fails);
  const multiF = Future.wrap(multi, true);
  t.is(await inFiber(() => addF(2, 3).wait()), 5);
  await t.throwsAsync(inFiber(() => failsF().wait()), { message: 'wrapped failure' });
  t.deepEqual(await inFiber(() => multiF().wait()), [1, 2]);
});

test('Future.wrap() of an object adds ...Future methods bound to it', async (t) => {
  const fs = await import('node:fs');
  const wrapped = Future.wrap(fs);
  const text = await inFiber(() => wrapped.readFileFuture(new URL(import.meta.url), 'utf8').wait());
  t.true(text.includes('Future.wrap() of an object'));
  const counter = {
    n: 10,
    next(cb) {
      later(() => cb(null, ++this.n));
    },
  };
  const c = Future.wrap(counter, false, 'Later');
  t.is(await inFiber(() => c.nextLater().wait()), 11);
  t.throws(() => Future.wrap(5), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('proxy(), proxyErrors() and resolveSuccess()', (t) => {
  const source = new Future();
  const target = new Future();
  source.proxy(target);
  source.return('p');
  t.is(target.get(), 'p');
  const failing = new Future();
  const sink = new Future();
  let got;
  failing.proxyErrors(sink, (v) => {
    got = v;
  });
  failing.throw(new Error('proxied'));
  t.throws(() => sink.get(), { message: 'proxied' });
  t.is(got, undefined);
  const s = new Future();
  s.resolveSuccess((v) => {
    got = v;
  });
  s.return('ok');
  t.is(got, 'ok');
});

test('promise() and Future.fromPromise()', async (t) => {
  const future = new Future();
  later(() => future.return('to promise'));
  t.is(await future.promise(), 'to promise');
  const from = Future.fromPromise(Promise.resolve('from promise'));
  t.is(await inFiber(() => from.wait()), 'from promise');
});
