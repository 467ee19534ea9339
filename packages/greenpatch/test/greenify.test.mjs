// greenify(fn): outside a green thread, fn runs in a new one and the caller
// gets a promise of its outcome; inside one, fn is just called.
import test from 'ava';
import { EventEmitter } from 'node:events';
import { greenify, sleep, spawn, inGreenThread, getCurrent } from 'greenpatch';

test('outside a green thread: fn runs in a new one, at once, and the caller gets a promise of its result', async (t) => {
  const order = [];
  const wrapped = greenify(function (a, b) {
    order.push(`start green=${inGreenThread()} this=${this.tag}`);
    sleep(10);
    order.push('end');
    return a + b;
  });
  const result = wrapped.call({ tag: 'x' }, 2, 3);
  order.push('caller goes on');
  t.true(result instanceof Promise);
  t.is(await result, 5);
  t.deepEqual(order, ['start green=true this=x', 'caller goes on', 'end']);
});

test('outside: a throw, before or after blocking, rejects the promise; a returned promise is adopted', async (t) => {
  const early = greenify(() => {
    throw new Error('early');
  });
  const late = greenify(() => {
    sleep(1);
    throw new Error('late');
  });
  const adopted = greenify(() => Promise.resolve('adopted'));
  await t.throwsAsync(early(), { message: 'early' });
  await t.throwsAsync(late(), { message: 'late' });
  t.is(await adopted(), 'adopted');
});

test('inside a green thread: fn is called in the same thread and its value returned as is', async (t) => {
  const wrapped = greenify(() => getCurrent());
  const outcome = await new Promise((resolve) =>
    spawn(() => {
      const me = getCurrent();
      resolve(wrapped() === me);
    }),
  );
  t.true(outcome);
});

test('keeps length and name; listeners on an emitter may block', async (t) => {
  function handler(a, b, c) {}
  const wrapped = greenify(handler);
  t.is(wrapped.length, 3);
  t.is(wrapped.name, 'handler');
  const emitter = new EventEmitter();
  const seen = [];
  const done = new Promise((resolve) =>
    emitter.on(
      'tick',
      greenify((n) => {
        sleep(5);
        seen.push(n);
        if (seen.length === 3) resolve();
      }),
    ),
  );
  for (const n of [1, 2, 3]) emitter.emit('tick', n);
  await done;
  t.deepEqual(seen.sort(), [1, 2, 3]);
});

test('a non-function is refused with a coded TypeError', (t) => {
  t.throws(() => greenify(42), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
});
