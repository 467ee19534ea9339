// The hub: block(), wait(), blocking on the hub, scheduling, async context, error reporting.
import test from 'ava';
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  block,
  blockingOnHubError,
  inGreenThread,
  reportError,
  setErrorHandler,
  sleep,
  spawn,
  spawnN,
  wait,
  getCurrent,
  GreenThreadExit,
  joinAll,
} from 'greenpatch';
import { green, delay, turns } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(10_000));

test('block() returns what the waker resumes with, from a later callback', async (t) => {
  const result = await green(() =>
    block('test()', (wake) => {
      setTimeout(() => wake.resume(42), 1);
    }),
  );
  t.is(result, 42);
});

test('block() throws what the waker fails with', async (t) => {
  const error = await t.throwsAsync(
    green(() =>
      block('test()', (wake) => {
        setImmediate(() => wake.fail(new Error('nope')));
      }),
    ),
  );
  t.is(error.message, 'nope');
});

test('only the first waker call counts', async (t) => {
  const result = await green(() =>
    block('test()', (wake) => {
      t.true(wake.pending);
      wake.resume(1);
      t.false(wake.pending);
      wake.resume(2);
      wake.fail(new Error('ignored'));
    }),
  );
  t.is(result, 1);
});

test('block() suspends only its own thread: others run meanwhile', async (t) => {
  const order = [];
  let wakeA;
  const a = spawn(() => {
    order.push('a blocks');
    const v = block('a()', (wake) => {
      wakeA = wake;
    });
    order.push(`a got ${v}`);
  });
  const b = spawn(() => {
    order.push('b runs');
    wakeA.resume('x');
    order.push('b done');
  });
  await green(() => {
    a.wait();
    b.wait();
  });
  t.deepEqual(order, ['a blocks', 'b runs', 'b done', 'a got x']);
});

test('an error thrown by register propagates without suspending', async (t) => {
  const e = await t.throwsAsync(
    green(() =>
      block('test()', () => {
        throw new Error('register failed');
      }),
    ),
  );
  t.is(e.message, 'register failed');
});

test('block(), wait() and sleep() on the hub throw ERR_GREENPATCH_BLOCKING_ON_HUB naming the call', (t) => {
  let registered = false;
  const e1 = t.throws(() =>
    block('recv()', () => {
      registered = true;
    }),
  );
  t.is(e1.code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  t.is(e1.message, 'recv() cannot block the hub: call it from a green thread (spawn)');
  t.false(registered);
  const e2 = t.throws(() => wait(Promise.resolve(1)));
  t.is(e2.code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  t.regex(e2.message, /^wait\(\)/);
  const e3 = t.throws(() => sleep(1));
  t.is(e3.code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  t.regex(e3.message, /^sleep\(\)/);
  t.is(blockingOnHubError('x()').code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
});

test('blocking inside a raw Fiber started in a green thread is refused, not a hang', async (t) => {
  const { default: Fiber } = await import('@greenpatch/fibers');
  const e = await green(() => {
    let caught;
    Fiber(() => {
      try {
        sleep(0);
      } catch (error) {
        caught = error;
      }
    }).run();
    return caught;
  });
  t.is(e.code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
});

test('inGreenThread() and getCurrent() tell the hub from a green thread', async (t) => {
  t.false(inGreenThread());
  t.is(getCurrent(), undefined);
  const [inside, self] = await green(() => [inGreenThread(), getCurrent()]);
  t.true(inside);
  t.is(typeof self.name, 'string');
});

test('wait() returns a promise value, throws its reason, passes non-thenables through', async (t) => {
  const [a, b, c, d] = await green(() => {
    const a = wait(Promise.resolve(1));
    const b = wait(delay(2, 'later'));
    const c = wait(5);
    let d;
    try {
      wait(Promise.reject(new Error('rejected')));
    } catch (e) {
      d = e.message;
    }
    return [a, b, c, d];
  });
  t.deepEqual([a, b, c, d], [1, 'later', 5, 'rejected']);
});

test('wait() accepts thenables, and a throwing then() becomes the error', async (t) => {
  const [v, e] = await green(() => {
    const v = wait({ then: (ok) => ok('thenable') });
    let e;
    try {
      wait({
        then() {
          throw new Error('bad then');
        },
      });
    } catch (error) {
      e = error.message;
    }
    return [v, e];
  });
  t.deepEqual([v, e], ['thenable', 'bad then']);
});

test('spawn() starts threads on a later hub turn, in order', async (t) => {
  const order = [];
  spawn(() => order.push(1));
  spawn(() => order.push(2));
  order.push('spawner');
  t.deepEqual(order, ['spawner']);
  await turns(2);
  t.deepEqual(order, ['spawner', 1, 2]);
});

test('sleep(0) loops in two threads do not starve timers or I/O callbacks', async (t) => {
  let stop = false;
  let rounds = 0;
  const ping = () => {
    while (!stop) {
      rounds++;
      sleep(0);
    }
  };
  const a = spawn(ping);
  const b = spawn(ping);
  // Timers keep firing while both threads never stop yielding to each other.
  let timerRuns = 0;
  while (rounds < 200) {
    await delay(1);
    timerRuns++;
  }
  t.true(timerRuns >= 1);
  await new Promise((resolve) => process.nextTick(resolve));
  const fs = await import('node:fs');
  await fs.promises.readFile(fileURLToPath(import.meta.url)); // thread-pool I/O completes
  stop = true;
  await green(() => {
    a.wait();
    b.wait();
  });
  t.true(rounds >= 200);
});

test('a thread woken from another thread resumes on the hub, after the waker yields', async (t) => {
  const order = [];
  let wake;
  const sleeper = spawn(() => {
    block('x()', (w) => {
      wake = w;
    });
    order.push('sleeper resumed');
  });
  await turns(2);
  await green(() => {
    wake.resume();
    order.push('waker continues');
    sleep(0);
    order.push('waker after yield');
    sleeper.wait();
  });
  t.deepEqual(order.slice(0, 2), ['waker continues', 'sleeper resumed']);
});

test('AsyncLocalStorage: a thread sees its spawner\'s store, keeps its own across blocking, never leaks', async (t) => {
  const als = new AsyncLocalStorage();
  const seen = [];
  const threads = [];
  for (const name of ['a', 'b', 'c']) {
    threads.push(
      spawn(() =>
        als.run(name, () => {
          for (let i = 0; i < 3; i++) {
            sleep(i + 1);
            seen.push(`${name}:${als.getStore()}`);
            sleep(0);
            wait(delay(1));
            seen.push(`${name}:${als.getStore()}`);
          }
          return als.getStore();
        }),
      ),
    );
  }
  const fromSpawner = als.run('spawner', () => spawn(() => {
    sleep(1);
    return als.getStore();
  }));
  let hubSaw = 'unset';
  const probe = setInterval(() => {
    if (als.getStore() !== undefined) hubSaw = als.getStore();
  }, 1);
  const results = await green(() => threads.map((th) => th.wait()));
  clearInterval(probe);
  t.deepEqual(results, ['a', 'b', 'c']);
  for (const entry of seen) {
    const [name, store] = entry.split(':');
    t.is(store, name);
  }
  t.is(await green(() => fromSpawner.wait()), 'spawner');
  t.is(hubSaw, 'unset');
  t.is(als.getStore(), undefined);
});

test('AsyncLocalStorage: enterWith inside a thread survives blocking and stays in that thread', async (t) => {
  const als = new AsyncLocalStorage();
  const a = spawn(() => {
    als.enterWith('A');
    sleep(2);
    const first = als.getStore();
    wait(delay(1));
    return [first, als.getStore()];
  });
  const b = spawn(() => {
    sleep(1);
    const before = als.getStore();
    als.enterWith('B');
    sleep(2);
    return [before, als.getStore()];
  });
  const [ra, rb] = await green(() => [a.wait(), b.wait()]);
  t.deepEqual(ra, ['A', 'A']);
  t.deepEqual(rb, [undefined, 'B']);
  t.is(als.getStore(), undefined);
  await turns(2);
  t.is(als.getStore(), undefined);
});

async function collectGarbage() {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  for (let i = 0; i < 5; i++) {
    gc();
    await delay(5);
  }
}

test.serial('an error in a thread nobody can wait for any more goes to the error handler; setErrorHandler returns the previous one', async (t) => {
  const reported = [];
  const previous = setErrorHandler((error, thread) => reported.push([error.message, thread?.name]));
  try {
    spawn(() => {
      throw new Error('unobserved');
    }).name = 'worker-1';
    spawnN(() => {
      throw new Error('from spawnN');
    });
    // waited for, even after it ended: not reported
    const waited = spawn(() => {
      throw new Error('observed');
    });
    await turns(4);
    await t.throwsAsync(green(() => waited.wait()), { message: 'observed' });
    // killed with the default error: not reported
    const killed = spawn(() => sleep(1000));
    await turns(2);
    killed.kill();
    await turns(2);
    t.true(killed.exception instanceof GreenThreadExit);
    await collectGarbage(); // the unobserved thread's handle is gone: its error is reported
    t.deepEqual(
      reported.map((r) => r[0]).sort(),
      ['from spawnN', 'unobserved'],
    );
    t.deepEqual(reported.find((r) => r[0] === 'unobserved'), ['unobserved', 'worker-1']);
    t.regex(reported.find((r) => r[0] === 'from spawnN')[1], /^GreenThread-\d+$/);
  } finally {
    const mine = setErrorHandler(previous);
    t.is(typeof mine, 'function');
  }
});

test('spawning many threads that fail, then waiting for each in turn, reports nothing', (t) => {
  const script = `
    const { spawn, sleep } = require('greenpatch');
    const threads = Array.from({ length: 20 }, (_, i) => spawn(() => { if (i % 2) sleep(1); throw new Error('e' + i); }));
    spawn(() => {
      sleep(20);
      let caught = 0;
      for (const th of threads) { try { th.wait(); } catch { caught++; } }
      console.log(caught);
    });
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.is(r.stderr, '');
  t.is(r.stdout, '20\n');
});

test.serial('setErrorHandler(null) restores the default; a non-function is refused', (t) => {
  const previous = setErrorHandler(null);
  t.is(typeof previous, 'function');
  t.throws(() => setErrorHandler(42), { code: 'ERR_INVALID_ARG_TYPE' });
});

test.serial('reportError survives a throwing handler', (t) => {
  const previous = setErrorHandler(() => {
    throw new Error('handler broke');
  });
  const write = process.stderr.write;
  let written = '';
  process.stderr.write = (chunk) => {
    written += chunk;
    return true;
  };
  try {
    reportError(new Error('original'));
  } finally {
    process.stderr.write = write;
    setErrorHandler(previous);
  }
  t.regex(written, /original/);
  t.regex(written, /handler broke/);
});

test('the default handler prints the stack of an unobserved error on stderr', (t) => {
  const script = `
    const { spawn } = require('greenpatch');
    const th = spawn(function failingThread() { throw new Error('printed error'); });
    th.name = 'named-thread';
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.is(r.status, 0);
  t.regex(r.stderr, /unhandled error in green thread named-thread/); // at exit: the handle was still held
  t.regex(r.stderr, /Error: printed error/);
  t.regex(r.stderr, /failingThread/);
});

test('a process whose threads only block on timers exits normally when they finish', (t) => {
  const script = `
    const { spawn, sleep } = require('greenpatch');
    spawn(() => { sleep(5); console.log('done'); });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.is(r.status, 0);
  t.is(r.stdout, 'done\n');
  t.is(r.stderr, '');
});

test('blocking inside AsyncResource.runInAsyncScope and AsyncResource.bind: each thread keeps its own ids and store', (t) => {
  const script = `
    const { spawn, sleep } = require('greenpatch');
    const { AsyncResource, AsyncLocalStorage, createHook, executionAsyncId, triggerAsyncId } = require('node:async_hooks');
    createHook({ init() {} }).enable();
    const als = new AsyncLocalStorage();
    const bad = [];
    const threads = [];
    for (let i = 0; i < 20; i++) {
      threads.push(spawn(() => als.run('store ' + i, () => {
        const resource = new AsyncResource('test' + i);
        const check = (where) => {
          if (executionAsyncId() !== resource.asyncId()) bad.push(where + ' id ' + i);
          if (triggerAsyncId() !== resource.triggerAsyncId()) bad.push(where + ' trigger ' + i);
          if (als.getStore() !== 'store ' + i) bad.push(where + ' store ' + i + ': ' + als.getStore());
        };
        for (let k = 0; k < 5; k++) {
          resource.runInAsyncScope(() => { check('before'); sleep(k % 2); check('after'); });
          resource.bind(() => { sleep(0); check('bound'); })();
        }
        return als.getStore();
      })));
    }
    spawn(() => {
      const results = threads.map((th) => th.wait());
      console.log(bad.length === 0 && results.every((r, i) => r === 'store ' + i) ? 'ok' : JSON.stringify(bad.slice(0, 5)));
    });
  `;
  const r = spawnSync(process.execPath, ['--force-async-hooks-checks', '-e', script], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.is(r.stdout, 'ok\n');
});

test('a registration that wakes and then throws leaves the thread running normally', async (t) => {
  const r = await green(() => {
    try {
      block('test()', (wake) => {
        wake.resume('ignored');
        throw new Error('register failed late');
      });
    } catch (e) {
      t.is(e.message, 'register failed late');
    }
    sleep(0);
    sleep(1);
    return block('again()', (wake) => {
      setImmediate(() => wake.resume('second'));
    });
  });
  t.is(r, 'second');
});

test('the hub works inside worker_threads, each worker with its own', async (t) => {
  const { Worker } = await import('node:worker_threads');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { spawn, sleep, Queue, wait } = require(workerData.greenpatch);
    const q = new Queue(2);
    spawn(() => { for (let i = 0; i < 5; i++) { q.put(i * workerData.factor); sleep(0); } });
    spawn(() => {
      let sum = 0;
      for (let i = 0; i < 5; i++) sum += q.get();
      sum += wait(Promise.resolve(1000));
      sleep(2);
      parentPort.postMessage(sum);
    });
  `;
  const run = (factor) =>
    new Promise((resolve, reject) => {
      const w = new Worker(code, {
        eval: true,
        workerData: { factor, greenpatch: fileURLToPath(new URL('..', import.meta.url)) },
      });
      w.once('message', (m) => {
        resolve(m);
        w.terminate();
      });
      w.once('error', reject);
    });
  t.deepEqual(await Promise.all([run(1), run(10)]), [1010, 1100]);
});

test('a process exits quietly while green threads are still blocked on things that will never happen', (t) => {
  const script = `
    const { spawn, sleep, Event, Queue } = require('greenpatch');
    const ev = new Event();
    const q = new Queue();
    for (let i = 0; i < 100; i++) spawn(() => (i % 2 ? ev.wait() : q.get()));
    spawn(() => { sleep(2); console.log('main done'); });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.is(r.status, 0);
  t.is(r.stdout, 'main done\n');
  t.is(r.stderr, '');
});

test('loopback socket I/O completes while two threads yield to each other forever', async (t) => {
  const net = await import('node:net');
  let stop = false;
  const ping = () => {
    while (!stop) sleep(0);
  };
  const a = spawn(ping);
  const b = spawn(ping);
  const server = net.createServer((socket) => socket.end('pong'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const reply = await new Promise((resolve, reject) => {
      const client = net.connect(server.address().port, '127.0.0.1');
      let data = '';
      client.setEncoding('utf8');
      client.on('data', (d) => (data += d));
      client.on('end', () => resolve(data));
      client.on('error', reject);
    });
    t.is(reply, 'pong');
  } finally {
    stop = true;
    server.close();
  }
  await green(() => joinAll([a, b]));
});
