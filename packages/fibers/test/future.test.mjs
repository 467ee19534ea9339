// node-fibers' Future.
import test from 'ava';
import Fiber from '@greenpatch/fibers';
import Future from '@greenpatch/fibers/future';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const futurePath = require.resolve('@greenpatch/fibers/future');

// Runs a CommonJS script in a child node (where an uncaught exception on a
// later tick can be observed); `Future` is predefined. Returns
// { stdout, stderr, status }.
function runScript(body) {
  const script = `const Future = require(${JSON.stringify(futurePath)}); const Fiber = require('@greenpatch/fibers');\n${body}`;
  try {
    const stdout = execFileSync(process.execPath, ['-e', script], {
      cwd: new URL('.', import.meta.url),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20000,
    });
    return { stdout, stderr: '', status: 0 };
  } catch (error) {
    return { stdout: error.stdout, stderr: error.stderr, status: error.status };
  }
}

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

test('wait() outside a fiber: node-fibers message, and Future.wait() refuses even resolved futures', (t) => {
  const future = new Future();
  t.throws(() => future.wait(), { code: 'ERR_FIBER_YIELD_OUTSIDE', message: "Can't wait without a fiber" });
  t.throws(() => Future.wait(future), { code: 'ERR_FIBER_YIELD_OUTSIDE', message: "Can't wait without a fiber" });
  future.return(1);
  t.is(future.wait(), 1); // future.wait() of a resolved future needs no fiber
  // node-fibers' Future.wait() checks for a fiber whatever it is given.
  t.throws(() => Future.wait(future), { code: 'ERR_FIBER_YIELD_OUTSIDE' });
  t.throws(() => Future.wait(), { code: 'ERR_FIBER_YIELD_OUTSIDE' });
});

test('public resolved, value and error fields, as node-fibers has them', (t) => {
  const ok = new Future();
  t.falsy(ok.resolved);
  ok.return('v');
  t.is(ok.resolved, true);
  t.is(ok.value, 'v');
  t.is(ok.error, undefined);
  const bad = new Future();
  const error = new Error('e');
  bad.throw(error);
  t.is(bad.resolved, true);
  t.is(bad.error, error);
  t.throws(() => bad.get(), { is: error });
});

test('throw() of a falsy error is refused, as node-fibers did', (t) => {
  const future = new Future();
  t.throws(() => future.throw(undefined), { message: 'Must throw non-empty error', code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => future.throw(0), { message: 'Must throw non-empty error' });
  t.false(future.isResolved());
  future.return(1);
  t.is(future.get(), 1);
});

test('get() and wait() messages are node-fibers\' ones', (t) => {
  t.throws(() => new Future().get(), { message: 'Future must resolve before value is ready' });
  const f = new Future();
  f.return();
  t.throws(() => f.return(), { message: 'Future resolved more than once', code: 'ERR_FUTURE_RESOLVED' });
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
  // node-fibers' two-argument form: a future that takes the error, and a
  // function that takes the value.
  const b = new Future();
  const errors = new Future();
  const error = new Error('two');
  b.resolve(errors, (val) => calls.push(['val', val]));
  b.throw(error);
  t.is(errors.error, error);
  const b2 = new Future();
  b2.resolve(errors, (val) => calls.push(['val', val]));
  b2.return(2);
  // A function for errors is accepted too.
  const b3 = new Future();
  b3.resolve(
    (err) => calls.push(['err', err]),
    (val) => calls.push(['val', val]),
  );
  b3.throw(error);
  const c = new Future();
  c.return(3);
  c.resolve((err, val) => calls.push(['late', err, val]));
  t.deepEqual(calls, [
    ['one', undefined, 1],
    ['val', 2],
    ['err', error],
    ['late', undefined, 3],
  ]);
});

test('a throwing callback: the others still run, its error is thrown on a later tick (also detach())', (t) => {
  const { stdout, stderr, status } = runScript(`
    const f = new Future();
    const seen = [];
    f.resolve(() => { seen.push('first'); throw new Error('from callback'); });
    f.resolve((err, v) => seen.push('second ' + v));
    process.on('uncaughtException', (e) => { console.log('later: ' + e.message + ' after ' + seen.join(',')); });
    f.return(7);
    console.log('return() came back: ' + seen.join(','));
    const d = new Future();
    d.detach();
    d.throw(new Error('detached error'));
    console.log('throw() came back');
  `);
  t.is(status, 0, stderr);
  t.deepEqual(stdout.trim().split('\n'), [
    'return() came back: first,second 7',
    'throw() came back',
    'later: from callback after first,second 7',
    'later: detached error after first,second 7',
  ]);
});

test('Future.task() runs a function in a new fiber on a later tick', async (t) => {
  const order = [];
  const started = Future.task(() => {
    order.push('task');
    t.not(Fiber.current, undefined);
    const inner = new Future();
    later(() => inner.return('from task'));
    return inner.wait();
  });
  order.push('after task()');
  t.false(started.isResolved());
  t.is(await started.promise(), 'from task');
  t.deepEqual(order, ['after task()', 'task']);
  const failing = Future.task(() => {
    throw new Error('task failed');
  });
  await t.throwsAsync(failing.promise(), { message: 'task failed' });
});

test('Future.task() waited on before it starts runs in the waiting fiber (node-fibers)', async (t) => {
  const value = await inFiber(() => {
    const outer = Fiber.current;
    return Future.task(() => Fiber.current === outer).wait();
  });
  t.true(value);
});

test('Future.task(f1, f2) resolves to [r1, r2], or to an error if one threw', async (t) => {
  const both = Future.task(
    () => 'r1',
    () => {
      const f = new Future();
      later(() => f.return('r2'));
      return f.wait();
    },
  );
  t.deepEqual(await both.promise(), ['r1', 'r2']);
  const oneFails = Future.task(
    () => 'fine',
    () => {
      throw new Error('second failed');
    },
  );
  await t.throwsAsync(oneFails.promise(), { message: 'second failed' });
});

test('Function.prototype.future, added by the future entry as node-fibers did', async (t) => {
  t.is(typeof Function.prototype.future, 'function');
  t.false(Object.getOwnPropertyDescriptor(Function.prototype, 'future').enumerable);
  const self = { base: 40 };
  const add = function (n) {
    return this.base + n;
  }.future();
  const f = add.call(self, 2);
  t.true(f instanceof Future);
  t.false(f.isResolved()); // starts on a later tick
  t.is(await f.promise(), 42);
  t.regex(String(add), /^<<Future [^]*\.future\(\)>>$/);
  // future(true) detaches: an error comes out as an uncaught exception.
  const { stdout, status } = runScript(`
    process.on('uncaughtException', (e) => console.log('uncaught ' + e.message));
    (function () { throw new Error('detached fn'); }).future(true)();
  `);
  t.is(status, 0);
  t.is(stdout.trim(), 'uncaught detached fn');
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
  t.throws(() => Future.wait(a, 'x'), { code: 'ERR_INVALID_ARG_TYPE', message: 'x is not a future' });
});

test('Future.wrap() of a function', async (t) => {
  const add = (x, y, cb) => later(() => cb(null, x + y));
  const fails = (cb) => later(() => cb(new Error('wrapped failure')));
  const multi = (cb) => later(() => cb(null, 1, 2));
  const addF = Future.wrap(add);
  const failsF = Future.wrap(fails);
  const multiF = Future.wrap(multi, true);
  t.is(await inFiber(() => addF(2, 3).wait()), 5);
  // The wrapped call's own return value is kept in `_`, as node-fibers does.
  const returning = Future.wrap((cb) => {
    cb(null, 'done');
    return 'handle';
  });
  t.is(returning()._, 'handle');
  // A function's own methods get ...Future versions on the wrapped function.
  const api = (cb) => cb(null, 'called');
  api.lookup = (name, cb) => later(() => cb(null, `found ${name}`));
  const wrappedApi = Future.wrap(api);
  t.is(typeof wrappedApi.lookup, 'function');
  t.is(await inFiber(() => wrappedApi.lookupFuture('x').wait()), 'found x');
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
  const sinks = [new Future(), new Future()];
  t.is(failing.proxyErrors(sink), failing);
  failing.proxyErrors(sinks);
  failing.throw(new Error('proxied'));
  t.throws(() => sink.get(), { message: 'proxied' });
  t.true(sinks.every((f) => f.error === sink.error));
  const quiet = new Future();
  const untouched = new Future();
  quiet.proxyErrors(untouched);
  quiet.return('value');
  t.false(untouched.isResolved());
  let got;
  const s = new Future();
  s.resolveSuccess((v) => {
    got = v;
  });
  s.return('ok');
  t.is(got, 'ok');
  // An error is ignored by resolveSuccess(): neither called nor thrown.
  const e = new Future();
  let called = false;
  e.resolveSuccess(() => {
    called = true;
  });
  t.notThrows(() => e.throw(new Error('ignored')));
  t.false(called);
});

test('promise() and Future.fromPromise()', async (t) => {
  const future = new Future();
  later(() => future.return('to promise'));
  t.is(await future.promise(), 'to promise');
  const from = Future.fromPromise(Promise.resolve('from promise'));
  t.is(await inFiber(() => from.wait()), 'from promise');
});
