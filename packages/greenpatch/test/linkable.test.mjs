// rawlink/unlink and ready(): the non-blocking subscription every waitable
// object offers (GreenThread, Event, AsyncResult, Queue, Channel).
import test from 'ava';
import { AsyncResult, Channel, Event, Queue, sleep, spawn } from 'greenpatch';
import { green, turns } from './helpers/green.mjs';

test('Event: rawlink is called once, with the event, from set(); unlink withdraws a callback', async (t) => {
  const event = new Event();
  const calls = [];
  const first = (e) => calls.push(['first', e === event, e.ready()]);
  const second = () => calls.push(['second']);
  event.rawlink(first);
  event.rawlink(second);
  event.unlink(second);
  t.false(event.ready());
  event.set();
  t.deepEqual(calls, [['first', true, true]]);
  event.clear();
  event.set();
  t.is(calls.length, 1, 'called once only');
});

test('a callback linked to an object that is ready already runs on a later turn, not inside rawlink()', async (t) => {
  const result = new AsyncResult();
  result.set(42);
  const calls = [];
  result.rawlink((r) => calls.push(r.get()));
  t.deepEqual(calls, []);
  await turns(2);
  t.deepEqual(calls, [42]);
  const late = [];
  const callback = () => late.push('called');
  result.rawlink(callback);
  result.unlink(callback);
  await turns(2);
  t.deepEqual(late, [], 'unlinked before its turn');
});

test('a callback linked while ready is called on the next turn; one linked after clear() waits for the next set()', async (t) => {
  const event = new Event();
  event.set();
  const calls = [];
  event.rawlink(() => calls.push('while set'));
  event.clear();
  event.rawlink(() => calls.push('after clear'));
  await turns(2);
  t.deepEqual(calls, ['while set']);
  event.set();
  t.deepEqual(calls, ['while set', 'after clear']);
});

test('GreenThread: rawlink callbacks run when it finishes, before link() callbacks; ready() turns true', async (t) => {
  const order = [];
  const thread = spawn(() => {
    sleep(1);
    return 'done';
  });
  thread.link(() => order.push('link'));
  thread.rawlink((th) => order.push(`rawlink ${th.value}`));
  t.false(thread.ready());
  await green(() => thread.wait());
  t.true(thread.ready());
  await turns(2);
  t.deepEqual(order, ['rawlink done', 'link']);
});

test('Queue and Channel: ready() says get() would not block; rawlink fires when an item is there for it', async (t) => {
  const queue = new Queue();
  const seen = [];
  queue.rawlink((q) => seen.push(['queue', q.qsize()]));
  t.false(queue.ready());
  queue.put('a');
  t.true(queue.ready());
  t.deepEqual(seen, [['queue', 1]]);

  const channel = new Channel();
  channel.rawlink((c) => seen.push(['channel', c.ready()]));
  t.false(channel.ready());
  const putter = spawn(() => channel.put('x'));
  await turns(2);
  t.deepEqual(seen, [['queue', 1], ['channel', true]]);
  t.is(await green(() => channel.get()), 'x');
  await green(() => putter.wait());
});

test('rawlink refuses what is not a function with ERR_INVALID_ARG_TYPE; a throwing callback goes to the error handler', async (t) => {
  const event = new Event();
  t.is(t.throws(() => event.rawlink(42)).code, 'ERR_INVALID_ARG_TYPE');
  const { setErrorHandler } = await import('greenpatch');
  const reported = [];
  const previous = setErrorHandler((error) => reported.push(error.message));
  try {
    const after = [];
    event.rawlink(() => {
      throw new Error('boom');
    });
    event.rawlink(() => after.push('next'));
    event.set();
    t.deepEqual(reported, ['boom']);
    t.deepEqual(after, ['next']);
  } finally {
    setErrorHandler(previous);
  }
});
