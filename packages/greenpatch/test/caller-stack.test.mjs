// Errors thrown out of a blocking call carry the green thread's frames at
// the call (the caller's file and line), after a line naming the call, as
// V8 appends `at async` frames across an await: refused connections,
// wait(promise) rejections, socket errors, interruptions. Errors made on the
// thread's own stack, values that are not errors and errors already
// extended are left as they are.
import test from 'ava';
import net from 'node:net';
import { block, sleep, spawn, Timeout, wait } from 'greenpatch';
import * as gnet from 'greenpatch/green/net';
import * as ghttp from 'greenpatch/green/http';
import { close, deadPort, green, plainServer } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(20_000));

const here = new URL(import.meta.url).pathname.split('/').pop();
/** A frame of function `fn` in this file, as V8 formats it. */
const frameOf = (fn) => new RegExp(`\\n    at ${fn} \\(.*/${here.replace('.', '\\.')}:\\d+:\\d+\\)`);
/** The line the hub adds before the caller's frames. */
const header = (what) => new RegExp(`\\n    at ${what.replace(/[.()]/g, '\\$&')} \\(blocking call in green thread [^)]+\\)\\n`);

test('net.connectSync refused: ECONNREFUSED keeps its message, code and frames, and leads to the caller', async (t) => {
  const port = await deadPort();
  function connectToDeadPort() {
    return gnet.connectSync(port, '127.0.0.1');
  }
  const error = await green(() => {
    try {
      connectToDeadPort();
    } catch (e) {
      return e;
    }
  });
  t.is(error.code, 'ECONNREFUSED');
  t.is(error.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
  t.regex(error.stack, /^Error: connect ECONNREFUSED 127\.0\.0\.1:\d+\n    at .*afterConnect/);
  t.regex(error.stack, header('net.connectSync()'));
  t.regex(error.stack, frameOf('connectToDeadPort'));
  // greenpatch's own layers are not among the appended frames.
  t.notRegex(error.stack.split('blocking call in')[1], /packages\/(greenpatch|fibers)\/(src|dist)\//);
});

test('http.getSync refused: the caller is in the stack', async (t) => {
  const port = await deadPort();
  function fetchFromDeadPort() {
    return ghttp.getSync(`http://127.0.0.1:${port}/`);
  }
  const error = await green(() => {
    try {
      fetchFromDeadPort();
    } catch (e) {
      return e;
    }
  });
  t.is(error.code, 'ECONNREFUSED');
  t.regex(error.stack, header('http.getSync()'));
  t.regex(error.stack, frameOf('fetchFromDeadPort'));
});

test('wait(promise): a rejection made in a timer leads to the line that waited', async (t) => {
  function waitForFailure() {
    return wait(new Promise((_, reject) => setTimeout(() => reject(new RangeError('made in a timer')), 1)));
  }
  const error = await green(() => {
    try {
      waitForFailure();
    } catch (e) {
      return e;
    }
  });
  t.true(error instanceof RangeError);
  t.is(error.message, 'made in a timer');
  t.regex(error.stack, /^RangeError: made in a timer\n    at Timeout\._onTimeout/);
  t.regex(error.stack, header('wait()'));
  t.regex(error.stack, frameOf('waitForFailure'));
});

test('socket.recv(): the error the socket was destroyed with leads to the reader', async (t) => {
  const server = await plainServer(() => {});
  const { port } = server.address();
  function readUntilBroken(socket) {
    return socket.recv();
  }
  const error = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    setTimeout(() => socket.destroy(Object.assign(new Error('torn down'), { code: 'ETORN' })), 5);
    try {
      readUntilBroken(socket);
    } catch (e) {
      return e;
    }
  });
  await close(server);
  t.is(error.code, 'ETORN');
  t.regex(error.stack, header('socket.recv()'));
  t.regex(error.stack, frameOf('readUntilBroken'));
});

test('a Timeout interrupting a blocking call leads to the blocked line', async (t) => {
  function sleepTooLong() {
    sleep(10_000);
  }
  const error = await green(() => {
    const timeout = new Timeout(5);
    timeout.start();
    try {
      sleepTooLong();
    } catch (e) {
      return e;
    } finally {
      timeout.cancel();
    }
  });
  t.is(error.code, 'ERR_GREENPATCH_TIMEOUT');
  t.regex(error.stack, header('sleep()'));
  t.regex(error.stack, frameOf('sleepTooLong'));
});

test('the frames are added once, even when the same error is thrown into two threads', async (t) => {
  const shared = new Error('shared');
  const failing = new Promise((_, reject) => setTimeout(() => reject(shared), 1));
  failing.catch(() => {});
  const waiter = () => {
    try {
      wait(failing);
    } catch (e) {
      return e;
    }
  };
  const [a, b] = await Promise.all([green(waiter), green(waiter)]);
  t.is(a, shared);
  t.is(b, shared);
  t.is(shared.stack.split('(blocking call in green thread').length, 2);
});

test('an error made on the blocked thread itself gets nothing added', async (t) => {
  const error = await green(() => {
    try {
      block('fails at once', (wake) => wake.fail(new Error('made here')));
    } catch (e) {
      return e;
    }
  });
  t.is(error.message, 'made here');
  t.notRegex(error.stack, /blocking call in/);
});

test('values that are not errors, and frozen errors, are thrown unchanged', async (t) => {
  const frozen = Object.freeze(new Error('frozen'));
  const frozenStack = frozen.stack;
  const plain = { message: 'not an error' };
  const got = await green(() => {
    const out = [];
    for (const reason of [42, plain, frozen]) {
      try {
        wait(new Promise((_, reject) => setTimeout(() => reject(reason), 1)));
      } catch (e) {
        out.push(e);
      }
    }
    return out;
  });
  t.is(got[0], 42);
  t.is(got[1], plain);
  t.deepEqual(Object.keys(plain), ['message']);
  t.is(got[2], frozen);
  t.is(frozen.stack, frozenStack);
});

// Serial: the limit is global, and other tests' errors cross blocking calls meanwhile.
test.serial('Error.stackTraceLimit = 0 turns the frames off as it does V8\'s', async (t) => {
  const limit = Error.stackTraceLimit;
  const silent = await green(() => {
    const failing = new Promise((_, reject) => setTimeout(() => reject(new Error('quiet')), 1));
    Error.stackTraceLimit = 0;
    try {
      wait(failing);
    } catch (e) {
      return e;
    } finally {
      Error.stackTraceLimit = limit;
    }
  });
  t.notRegex(silent.stack, /blocking call in/);
});

test('spawn()ed threads name themselves in the added line', async (t) => {
  const thread = spawn(() => {
    try {
      wait(Promise.reject(new Error('named')));
    } catch (e) {
      return e;
    }
  });
  thread.name = 'fetcher';
  const error = await new Promise((resolve) => thread.link(() => resolve(thread.value)));
  t.regex(error.stack, /\n    at wait\(\) \(blocking call in green thread fetcher\)\n/);
});

test('a socket made with net.connect is untouched by all this on the hub', async (t) => {
  const port = await deadPort();
  const error = await new Promise((resolve) => net.connect(port, '127.0.0.1').on('error', resolve));
  t.notRegex(error.stack, /blocking call in/);
});
