// greenpatch/green/dgram: recvfrom/sendSync on UDP sockets, bindSync and
// connectSync, green 'message' listeners, and DatagramServer, on loopback.
// UDP may drop datagrams under pressure even on loopback: the echo test keeps
// a window of 10 datagrams in flight per client and sends again what a
// silence of 500 ms leaves unanswered, so it is deterministic in outcome.
import test from 'ava';
import dgram from 'node:dgram';
import {
  DatagramServer,
  Event,
  getCurrent,
  inGreenThread,
  isPatched,
  patch,
  setErrorHandler,
  sleep,
  spawn,
  Timeout,
  unpatch,
  withTimeout,
} from 'greenpatch';
import * as gdgram from 'greenpatch/green/dgram';
import { green } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(30_000));

const polyfilled = dgram.Socket.prototype.bindSync === gdgram.socketMethods.bindSync;

/** A socket bound to 127.0.0.1 (blocking the green thread). */
function boundSocket(options = 'udp4') {
  const socket = dgram.createSocket(options);
  socket.bindSync({ address: '127.0.0.1' });
  return socket;
}

/** recvfrom, or null after `ms` of silence. */
function recvWithin(socket, ms) {
  return withTimeout(ms, () => socket.recvfrom(), { timeoutValue: null });
}

test.serial('the dgram patch runs stock sockets\' message listeners in green threads, and unpatches', (t) => {
  const socket = dgram.createSocket('udp4');
  const seen = [];
  socket.on('message', () => seen.push(inGreenThread()));
  const rinfo = { address: '127.0.0.1', family: 'IPv4', port: 1, size: 1 };
  try {
    t.false(isPatched('dgram'));
    socket.emit('message', Buffer.from('x'), rinfo);
    t.deepEqual(patch({ dgram: true }), ['dgram']);
    socket.emit('message', Buffer.from('x'), rinfo);
    unpatch('dgram');
    socket.emit('message', Buffer.from('x'), rinfo);
    t.deepEqual(seen, [false, true, false]);
    t.false(Object.hasOwn(dgram.Socket.prototype, 'emit'));
  } finally {
    unpatch('dgram');
    socket.close();
  }
});

test('UDP echo: 1,000 datagrams from 10 clients through a DatagramServer, each answered', async (t) => {
  const served = new Set();
  const server = new DatagramServer('127.0.0.1:0', (data, rinfo, s) => {
    served.add(data.toString());
    s.sendSync(data, rinfo.port, rinfo.address);
  });
  const results = await green(() => {
    server.start();
    const { port } = server.address;
    const clients = Array.from({ length: 10 }, (_, c) =>
      spawn(() => {
        const socket = boundSocket();
        const answered = new Set();
        let resent = 0;
        try {
          for (let first = 0; first < 100; first += 10) {
            const batch = Array.from({ length: 10 }, (_, i) => `${c}:${first + i}`);
            for (const id of batch) socket.sendSync(id, port, '127.0.0.1');
            for (let rounds = 0; batch.some((id) => !answered.has(id)); ) {
              const reply = recvWithin(socket, 500);
              if (reply !== null) {
                if (reply.port !== port) throw new Error(`a reply from port ${reply.port}`);
                answered.add(reply.data.toString());
                continue;
              }
              if (++rounds > 20) throw new Error(`client ${c}: no answer after 20 rounds`);
              for (const id of batch.filter((b) => !answered.has(b))) {
                resent++;
                socket.sendSync(id, port, '127.0.0.1');
              }
            }
          }
        } finally {
          socket.close();
        }
        return { answered: [...answered].sort(), resent };
      }),
    );
    return clients.map((thread) => thread.wait());
  });
  server.stop();
  for (const [c, { answered }] of results.entries()) {
    t.deepEqual(answered, Array.from({ length: 100 }, (_, i) => `${c}:${i}`).sort());
  }
  t.is(served.size, 1000);
  t.log(`datagrams sent again after a silence: ${results.reduce((n, r) => n + r.resent, 0)}`);
});

test('DatagramServer: a handler that blocks does not hold up the others', async (t) => {
  const release = new Event();
  const server = new DatagramServer({ port: 0, address: '127.0.0.1' }, (data, rinfo, s) => {
    if (data.toString() === 'slow') release.wait();
    s.sendSync(`${data} done`, rinfo.port, rinfo.address);
  });
  const got = await green(() => {
    server.start();
    const { port } = server.address;
    const socket = boundSocket();
    socket.sendSync('slow', port, '127.0.0.1');
    socket.sendSync('fast 1', port, '127.0.0.1');
    socket.sendSync('fast 2', port, '127.0.0.1');
    const timeout = new Timeout(10_000).start();
    try {
      const first = [socket.recvfrom().data.toString(), socket.recvfrom().data.toString()].sort();
      const runningMeanwhile = server.running();
      release.set();
      const last = socket.recvfrom().data.toString();
      return { first, runningMeanwhile, last };
    } finally {
      timeout.cancel();
      socket.close();
      server.stop();
    }
  });
  t.deepEqual(got, { first: ['fast 1 done', 'fast 2 done'], runningMeanwhile: 1, last: 'slow done' });
});

test('DatagramServer: at most `concurrency` handlers run; the rest wait for a free one', async (t) => {
  const release = new Event();
  let running = 0;
  let most = 0;
  const server = new DatagramServer(
    '127.0.0.1:0',
    (data, rinfo, s) => {
      running++;
      most = Math.max(most, running);
      release.wait();
      running--;
      s.sendSync(data, rinfo.port, rinfo.address);
    },
    { concurrency: 2 },
  );
  const replies = await green(() => {
    server.start();
    const socket = boundSocket();
    for (let i = 0; i < 5; i++) socket.sendSync(`${i}`, server.address.port, '127.0.0.1');
    for (let i = 0; server.running() < 2 && i < 1000; i++) sleep(5);
    sleep(20);
    const before = server.running();
    release.set();
    const timeout = new Timeout(10_000).start();
    try {
      const out = Array.from({ length: 5 }, () => socket.recvfrom().data.toString()).sort();
      return { before, out };
    } finally {
      timeout.cancel();
      socket.close();
      server.stop();
    }
  });
  t.deepEqual(replies, { before: 2, out: ['0', '1', '2', '3', '4'] });
  t.is(most, 2);
  t.is(server.dropped, 0);
});

test('DatagramServer: a handler error goes to the error handler and serving goes on', async (t) => {
  const reported = [];
  const previous = setErrorHandler((error) => reported.push(error.message));
  const server = new DatagramServer('127.0.0.1:0', (data, rinfo, s) => {
    if (data.toString() === 'boom') throw new Error('handler failed');
    s.sendSync(data, rinfo.port, rinfo.address);
  });
  try {
    const reply = await green(() => {
      server.start();
      const socket = boundSocket();
      socket.sendSync('boom', server.address.port, '127.0.0.1');
      socket.sendSync('fine', server.address.port, '127.0.0.1');
      const r = withTimeout(10_000, () => socket.recvfrom());
      socket.close();
      return r.data.toString();
    });
    t.is(reply, 'fine');
    t.deepEqual(reported, ['handler failed']);
  } finally {
    server.stop();
    setErrorHandler(previous);
  }
});

test('DatagramServer: serveForever blocks until stop(); stop() kills handlers that outlive its timeout', async (t) => {
  const events = [];
  const server = new DatagramServer('127.0.0.1:0', (data) => {
    try {
      new Event().wait(); // never set
    } finally {
      events.push(`handler for ${data} unwound`);
    }
  });
  await green(() => {
    const serving = spawn(() => {
      server.serveForever();
      events.push('serveForever returned');
    });
    for (let i = 0; !server.started && i < 1000; i++) sleep(1);
    for (let i = 0; i < 1000; i++) {
      try {
        server.address;
        break;
      } catch {
        sleep(1);
      }
    }
    const socket = boundSocket();
    socket.sendSync('x', server.address.port, '127.0.0.1');
    for (let i = 0; server.running() === 0 && i < 1000; i++) sleep(5);
    socket.close();
    server.stop(20);
    events.push('stop returned');
    serving.wait();
  });
  // stop() returns once the handler it killed has unwound; serveForever has returned by then too.
  t.deepEqual([...events].sort(), ['handler for x unwound', 'serveForever returned', 'stop returned']);
  t.true(events.indexOf('handler for x unwound') < events.indexOf('stop returned'));
  t.true(server.closed);
  t.throws(() => server.start(), { code: 'ERR_SERVER_NOT_RUNNING' });
});

test('DatagramServer: killing serveForever stops the server; bind errors are thrown or emitted', async (t) => {
  const first = new DatagramServer('127.0.0.1:0', () => {});
  const { port, code } = await green(() => {
    first.start(); // in a green thread: bound when it returns
    const port = first.address.port;
    const serving = spawn(() => first.serveForever());
    for (let i = 0; !serving.started && i < 1000; i++) sleep(0);
    const second = new DatagramServer(`127.0.0.1:${port}`, () => {});
    let code;
    try {
      second.start();
    } catch (error) {
      code = error.code;
    }
    serving.kill();
    try {
      serving.wait();
    } catch {}
    return { port, code };
  });
  t.is(code, 'EADDRINUSE');
  t.true(first.closed);
  // On the hub, start() returns at once and the error is emitted.
  const blocker = dgram.createSocket('udp4');
  await new Promise((resolve) => blocker.bind(0, '127.0.0.1', resolve));
  const third = new DatagramServer(`127.0.0.1:${blocker.address().port}`, () => {});
  const error = await new Promise((resolve) => {
    third.once('error', resolve);
    third.start();
  });
  t.is(error.code, 'EADDRINUSE');
  t.true(third.closed);
  blocker.close();
  t.true(typeof port === 'number');
});

test('recvfrom: a Timeout or kill() interrupts it cleanly, and the next datagram is not lost', async (t) => {
  const got = await green(() => {
    const receiver = boundSocket();
    const sender = boundSocket();
    const { port } = receiver.address();
    const timeout = new Timeout(30).start();
    let timedOut = false;
    try {
      receiver.recvfrom();
    } catch (error) {
      timedOut = error.timeout === timeout && error.code === 'ERR_GREENPATCH_TIMEOUT';
    }
    const waiter = spawn(() => receiver.recvfrom());
    sleep(10);
    waiter.kill();
    let killed = false;
    try {
      waiter.wait();
    } catch (error) {
      killed = error.code === 'ERR_GREENPATCH_THREAD_EXIT';
    }
    sender.sendSync('after', port, '127.0.0.1');
    const next = withTimeout(10_000, () => receiver.recvfrom());
    receiver.close();
    sender.close();
    return { timedOut, killed, next: next.data.toString(), from: next.port === sender.address?.port || next.port > 0 };
  });
  t.deepEqual(got, { timedOut: true, killed: true, next: 'after', from: true });
});

test('recvfrom: datagrams that arrive while nobody waits are queued, in order; max truncates', async (t) => {
  const got = await green(() => {
    const receiver = boundSocket();
    const sender = boundSocket();
    const { port } = receiver.address();
    t.is(recvWithin(receiver, 1), null); // starts the queue
    for (const word of ['one', 'two', 'three', 'four']) sender.sendSync(word, port, '127.0.0.1');
    sleep(30);
    const timeout = new Timeout(10_000).start();
    const out = [receiver.recvfrom(), receiver.recvfrom(), receiver.recvfrom(), receiver.recvfrom(2)];
    timeout.cancel();
    const from = sender.address().port;
    receiver.close();
    sender.close();
    return out.map((d) => [d.data.toString(), d.size, d.port === from, d.address, d.family]);
  });
  t.deepEqual(got, [
    ['one', 3, true, '127.0.0.1', 'IPv4'],
    ['two', 3, true, '127.0.0.1', 'IPv4'],
    ['three', 5, true, '127.0.0.1', 'IPv4'],
    ['fo', 4, true, '127.0.0.1', 'IPv4'],
  ]);
});

test('recvfrom: the queue holds at most the receive buffer size; beyond, datagrams are dropped', async (t) => {
  const { count, size } = await green(() => {
    const receiver = boundSocket({ type: 'udp4', recvBufferSize: 8192 });
    const sender = boundSocket();
    const { port } = receiver.address();
    const size = receiver.getRecvBufferSize();
    t.is(recvWithin(receiver, 1), null);
    const payload = Buffer.alloc(1000, 'x');
    for (let i = 0; i < 200; i++) sender.sendSync(payload, port, '127.0.0.1');
    sleep(50);
    let count = 0;
    while (recvWithin(receiver, 100) !== null) count++;
    receiver.close();
    sender.close();
    return { count, size };
  });
  t.true(count >= 1);
  // What the queue holds, plus what the kernel's own buffer of the same size held.
  t.true(count <= 2 * Math.floor(size / 1000), `${count} datagrams of 1000 bytes with a ${size}-byte buffer`);
});

test('green sockets: a blocking message listener lets the next one run; one that does not block runs inside emit', (t) => {
  const socket = gdgram.createSocket('udp4');
  const rinfo = { address: '127.0.0.1', family: 'IPv4', port: 1, size: 1 };
  const release = new Event();
  const order = [];
  socket.on('message', function (message) {
    t.is(this, socket);
    order.push(`start ${message}`);
    if (String(message) === 'a') release.wait();
    order.push(`end ${message}`);
  });
  socket.emit('message', Buffer.from('a'), rinfo);
  socket.emit('message', Buffer.from('b'), rinfo);
  t.deepEqual(order, ['start a', 'start b', 'end b']);
  release.set();
  return new Promise((resolve) => setImmediate(resolve)).then(() => {
    t.deepEqual(order, ['start a', 'start b', 'end b', 'end a']);
    const failing = gdgram.createSocket('udp4');
    failing.on('message', () => {
      throw new Error('thrown in the listener');
    });
    t.throws(() => failing.emit('message', Buffer.from('c'), rinfo), { message: 'thrown in the listener' });
    socket.close();
    failing.close();
  });
});

test('green sockets: a message listener answers with sendSync', async (t) => {
  const server = gdgram.createSocket('udp4');
  server.on('message', (data, rinfo) => {
    sleep(1);
    server.sendSync(`echo ${data}`, rinfo.port, rinfo.address);
  });
  const reply = await green(() => {
    server.bindSync({ address: '127.0.0.1' });
    const client = boundSocket();
    client.sendSync('hi', server.address().port, '127.0.0.1');
    const r = withTimeout(10_000, () => client.recvfrom());
    client.close();
    return r.data.toString();
  });
  server.close();
  t.is(reply, 'echo hi');
});

test('bindSync, connectSync: Node\'s contract (numeric addresses; errors thrown); a connected socket', async (t) => {
  const got = await green(() => {
    const a = dgram.createSocket('udp4');
    const address = a.bindSync({ address: '127.0.0.1' });
    const b = dgram.createSocket('udp4');
    let inUse;
    try {
      b.bindSync({ port: address.port, address: '127.0.0.1' });
    } catch (error) {
      inUse = error.code;
    }
    let numeric;
    try {
      dgram.createSocket('udp4').bindSync({ address: 'localhost' });
    } catch (error) {
      numeric = error.code;
    }
    let again;
    try {
      a.bindSync();
    } catch (error) {
      again = error.code;
    }
    const c = dgram.createSocket('udp4');
    c.connectSync(address.port, '127.0.0.1');
    const remote = c.remoteAddress();
    c.sendSync('to the peer');
    const received = withTimeout(10_000, () => a.recvfrom());
    a.sendSync('back', received.port, '127.0.0.1');
    const back = withTimeout(10_000, () => c.recvfrom()).data.toString();
    for (const s of [a, b, c]) s.close();
    return { port: address.port > 0, inUse, numeric, again, remote: remote.port === address.port, received: received.data.toString(), back };
  });
  t.deepEqual(got, {
    port: true,
    inUse: 'EADDRINUSE',
    numeric: 'ERR_INVALID_ARG_VALUE',
    again: 'ERR_SOCKET_ALREADY_BOUND',
    remote: true,
    received: 'to the peer',
    back: 'back',
  });
});

test('outside a green thread: recvfrom and sendSync throw ERR_GREENPATCH_BLOCKING_ON_HUB (bindSync too where greenpatch provides it)', async (t) => {
  const socket = dgram.createSocket('udp4');
  t.throws(() => socket.recvfrom(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  t.throws(() => socket.sendSync('x', 9, '127.0.0.1'), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  t.throws(() => socket.recvfrom(0), { code: 'ERR_OUT_OF_RANGE' });
  if (polyfilled) {
    t.throws(() => socket.bindSync(), { code: 'ERR_GREENPATCH_BLOCKING_ON_HUB' });
  } else {
    t.true(socket.bindSync({ address: '127.0.0.1' }).port > 0); // Node's own: synchronous anywhere
  }
  socket.close();
  t.throws(() => socket.recvfrom(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
  const closed = await green(() => {
    const s = boundSocket();
    const waiter = spawn(() => {
      try {
        s.recvfrom();
      } catch (error) {
        return error.code;
      }
    });
    sleep(5);
    s.close();
    return waiter.wait();
  });
  t.is(closed, 'ERR_SOCKET_DGRAM_NOT_RUNNING');
  t.is(getCurrent(), undefined);
});

test('new DatagramServer: a handler that is not a function, options that are not an object, a bad concurrency throw coded errors', (t) => {
  const handler = () => {};
  t.throws(() => new DatagramServer(0, 'handler'), { code: 'ERR_INVALID_ARG_TYPE' });
  for (const options of [null, 5, 'x']) {
    t.throws(() => new DatagramServer(0, handler, options), { code: 'ERR_INVALID_ARG_TYPE', instanceOf: TypeError });
  }
  t.throws(() => new DatagramServer(0, handler, { concurrency: 0 }), { code: 'ERR_OUT_OF_RANGE' });
});
