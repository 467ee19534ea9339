// greenpatch/green/net: connectSync, the blocking socket and server methods,
// green 'connection' listeners, and the eventlet helpers, on loopback.
import test from 'ava';
import { AsyncLocalStorage } from 'node:async_hooks';
import net from 'node:net';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, Event, getCurrent, listen, serve, setErrorHandler, sleep, spawn, StopServe, Timeout } from 'greenpatch';
import * as gnet from 'greenpatch/green/net';
import { close, deadPort, green, plainServer } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(20_000));

const echo = (socket) => socket.pipe(socket);

test('connectSync connects, sendall/recv talk to a stock echo server', async (t) => {
  const server = await plainServer(echo);
  const { port } = server.address();
  const got = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    t.true(socket instanceof net.Socket);
    t.false(socket.connecting);
    socket.sendall('ping');
    const reply = socket.recvExactly(4).toString();
    socket.end();
    const end = socket.recv();
    return [reply, end.length];
  });
  t.deepEqual(got, ['ping', 0]);
  await close(server);
});

test('connectSync takes options, and net.connect options such as family', async (t) => {
  const server = await plainServer(echo);
  const { port } = server.address();
  const remote = await green(() => {
    const socket = gnet.connectSync({ port, host: '127.0.0.1', family: 4 });
    const address = socket.remoteAddress;
    socket.destroy();
    return address;
  });
  t.is(remote, '127.0.0.1');
  await close(server);
});

test('connectSync throws ECONNREFUSED from Node', async (t) => {
  const port = await deadPort();
  const error = await green(() => t.throws(() => gnet.connectSync(port, '127.0.0.1')));
  t.is(error.code, 'ECONNREFUSED');
});

test('connectSync refuses a callback', async (t) => {
  const error = await green(() => t.throws(() => gnet.connectSync(1, '127.0.0.1', () => {})));
  t.is(error.code, 'ERR_INVALID_ARG_TYPE');
});

test('blocking calls outside a green thread throw ERR_GREENPATCH_BLOCKING_ON_HUB', async (t) => {
  const server = await plainServer(echo);
  const { port } = server.address();
  t.is(t.throws(() => gnet.connectSync(port, '127.0.0.1')).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  t.is(t.throws(() => socket.recv()).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  socket.destroy();
  await close(server);
});

test('recv(max) returns at most max bytes, then the rest; empty at the end', async (t) => {
  const server = await plainServer((s) => s.end('abcdefgh'));
  const { port } = server.address();
  const parts = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    const out = [];
    for (;;) {
      const chunk = socket.recv(3);
      out.push(chunk.toString());
      if (chunk.length === 0) break;
    }
    return out;
  });
  t.true(parts.every((p) => p.length <= 3));
  t.is(parts.join(''), 'abcdefgh');
  t.is(parts.at(-1), '');
  await close(server);
});

test('recv(max) rejects a bad max', async (t) => {
  const server = await plainServer(echo);
  const { port } = server.address();
  await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    t.is(t.throws(() => socket.recv(0)).code, 'ERR_OUT_OF_RANGE');
    socket.destroy();
  });
  await close(server);
});

test('recvExactly waits for every byte across writes; ERR_GREENPATCH_INCOMPLETE_READ at an early end', async (t) => {
  const server = await plainServer((s) => {
    s.write('12');
    setTimeout(() => s.write('345'), 20);
    setTimeout(() => s.end('67'), 40);
  });
  const { port } = server.address();
  const result = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    const first = socket.recvExactly(4).toString();
    const error = t.throws(() => socket.recvExactly(10));
    return [first, error.code, error.partial.toString(), socket.recvExactly(0).length];
  });
  t.deepEqual(result, ['1234', 'ERR_GREENPATCH_INCOMPLETE_READ', '567', 0]);
  await close(server);
});

test('readLine splits lines (\\n and \\r\\n), returns the last unterminated line, then null', async (t) => {
  const server = await plainServer((s) => {
    s.write('one\r\ntw');
    setTimeout(() => s.end('o\nthree\n\nlast'), 20);
  });
  const { port } = server.address();
  const lines = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    const out = [];
    for (let line = socket.readLine(); line !== null; line = socket.readLine()) out.push(line);
    out.push(socket.readLine());
    return out;
  });
  t.deepEqual(lines, ['one', 'two', 'three', '', 'last', null]);
  await close(server);
});

test('readLine decodes UTF-8 split across chunks', async (t) => {
  const bytes = Buffer.from('héllo wörld\n');
  const server = await plainServer((s) => {
    s.write(bytes.subarray(0, 2));
    setTimeout(() => s.end(bytes.subarray(2)), 20);
  });
  const { port } = server.address();
  const line = await green(() => gnet.connectSync(port, '127.0.0.1').readLine());
  t.is(line, 'héllo wörld');
  await close(server);
});

test('sendall of 8 MiB returns after the kernel took it all; the peer gets every byte', async (t) => {
  let received = 0;
  const done = new Promise((resolve) => {
    plainServer((s) => {
      s.on('data', (d) => (received += d.length));
      s.on('end', () => resolve(received));
    }).then((server) => {
      green(() => {
        const socket = gnet.connectSync(server.address().port, '127.0.0.1');
        socket.sendall(Buffer.alloc(8 * 1024 * 1024, 7));
        t.is(socket.writableLength, 0);
        socket.end();
      }).then(() => setTimeout(() => server.close(), 10));
    });
  });
  t.is(await done, 8 * 1024 * 1024);
});

test('sendall after end throws ERR_STREAM_WRITE_AFTER_END', async (t) => {
  const server = await plainServer(echo);
  const { port } = server.address();
  const error = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    socket.end();
    return t.throws(() => socket.sendall('x'));
  });
  t.is(error.code, 'ERR_STREAM_WRITE_AFTER_END');
  await close(server);
});

test('recv throws the connection error (ECONNRESET), and it does not crash the process in between', async (t) => {
  const server = await plainServer((s) => setTimeout(() => s.resetAndDestroy(), 20));
  const { port } = server.address();
  const code = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    sleep(60); // the reset arrives while nobody is reading
    try {
      socket.recv();
      return 'no error';
    } catch (error) {
      return error.code;
    }
  });
  t.is(code, 'ECONNRESET');
  await close(server);
});

test('a Timeout interrupts recv; the socket stays usable', async (t) => {
  // The server answers only once asked, after the timeout: no race with it.
  const server = await plainServer((s) => s.once('data', () => s.end('late')));
  const { port } = server.address();
  const result = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    let code;
    const timeout = Timeout.startNew(10);
    try {
      socket.recv();
    } catch (error) {
      code = error.code;
    } finally {
      timeout.cancel();
    }
    socket.sendall('go');
    const late = socket.recv().toString();
    sleep(5); // the reader's 'readable' listener goes once it has not read again for a hub turn
    return [code, late, socket.listenerCount('readable')];
  });
  t.deepEqual(result, ['ERR_GREENPATCH_TIMEOUT', 'late', 0]);
  await close(server);
});

test('green reads leave the stream to ordinary readers afterwards', async (t) => {
  const server = await plainServer((s) => {
    s.write('first\n');
    setTimeout(() => s.end('second part'), 30);
  });
  const { port } = server.address();
  const socket = await green(() => {
    const s = gnet.connectSync(port, '127.0.0.1');
    t.is(s.readLine(), 'first');
    return s;
  });
  let text = '';
  socket.on('data', (d) => (text += d));
  await once(socket, 'end');
  t.is(text, 'second part');
  await close(server);
});

test('a second green thread reading a stream another one waits on gets ERR_GREENPATCH_STREAM_BUSY', async (t) => {
  // The server answers only once the second thread has tried.
  const server = await plainServer((s) => s.once('data', () => s.end('data')));
  const { port } = server.address();
  const socket = await green(() => gnet.connectSync(port, '127.0.0.1'));
  const first = spawn(() => socket.recv().toString());
  const second = spawn(() => {
    while (first.blockedIn === undefined) sleep(1);
    let outcome = 'read';
    try {
      socket.recv();
    } catch (error) {
      outcome = error.code;
    }
    socket.sendall('go');
    return outcome;
  });
  const results = await green(() => [first.wait(), second.wait()]);
  t.deepEqual(results, ['data', 'ERR_GREENPATCH_STREAM_BUSY']);
  socket.destroy();
  await close(server);
});

test('sendall fails with the connection error when the peer goes away mid-write', async (t) => {
  const server = await plainServer((s) => {
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      if (got >= 3 * 1024 * 1024) s.destroy(); // gone while the client still sends
    });
  });
  const { port } = server.address();
  const result = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    const big = Buffer.alloc(1024 * 1024, 'y');
    let error;
    try {
      for (let i = 0; i < 64; i++) socket.sendall(big);
    } catch (e) {
      error = e;
    }
    return error?.code;
  });
  t.true(['EPIPE', 'ECONNRESET', 'ECANCELED', 'ERR_STREAM_DESTROYED'].includes(result), String(result));
  await close(server);
});

test('a recv loop keeps one readable listener while it reads, none once it has stopped', async (t) => {
  const server = await plainServer((s) => {
    let n = 0;
    const tick = setInterval(() => {
      s.write(`m${n}`);
      if (++n === 20) {
        clearInterval(tick);
        s.end();
      }
    }, 2);
  });
  const { port } = server.address();
  const result = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    let text = '';
    let most = 0;
    for (;;) {
      const chunk = socket.recv();
      most = Math.max(most, socket.listenerCount('readable'));
      if (chunk.length === 0) break;
      text += chunk;
    }
    sleep(5);
    return [text.length, most, socket.listenerCount('readable')];
  });
  t.is(result[0], 'm0m1m2m3m4m5m6m7m8m9'.length + 10 * 3);
  t.deepEqual(result.slice(1), [1, 0]);
  await close(server);
});

test('accept returns [socket, address]; connections that arrive early wait in a queue', async (t) => {
  const result = await green(() => {
    const server = listen(0, '127.0.0.1');
    const { port } = server.address();
    const clients = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
    sleep(50); // both connect before anyone accepts
    const seen = [];
    for (let i = 0; i < 2; i++) {
      const [socket, address] = server.accept();
      seen.push([socket instanceof net.Socket, address.address, typeof address.port, address.family]);
      socket.destroy();
    }
    for (const c of clients) c.destroy();
    server.close();
    return seen;
  });
  t.deepEqual(result, [
    [true, '127.0.0.1', 'number', 'IPv4'],
    [true, '127.0.0.1', 'number', 'IPv4'],
  ]);
});

test('accept throws ERR_SERVER_NOT_RUNNING when the server closes while it waits, and after', async (t) => {
  const codes = await green(() => {
    const server = listen(0, '127.0.0.1');
    setTimeout(() => server.close(), 20);
    const out = [];
    for (let i = 0; i < 2; i++) {
      try {
        server.accept();
      } catch (error) {
        out.push(error.code);
      }
    }
    return out;
  });
  t.deepEqual(codes, ['ERR_SERVER_NOT_RUNNING', 'ERR_SERVER_NOT_RUNNING']);
});

test('listen returns a listening server; EADDRINUSE is thrown', async (t) => {
  const other = await plainServer(() => {});
  const { port } = other.address();
  const result = await green(() => {
    const server = listen(0, '127.0.0.1');
    const listening = server.listening;
    server.close();
    const error = t.throws(() => listen(port, '127.0.0.1'));
    return [listening, error.code];
  });
  t.deepEqual(result, [true, 'EADDRINUSE']);
  await close(other);
});

test('connect is connectSync', (t) => {
  t.is(connect, gnet.connectSync);
});

test('serve runs a green thread per client (recv/sendall echo); StopServe ends it', async (t) => {
  const result = await green(() => {
    const server = listen(0, '127.0.0.1');
    const { port } = server.address();
    const clients = [];
    for (let i = 0; i < 5; i++) {
      clients.push(
        spawn(() => {
          const c = connect(port, '127.0.0.1');
          c.sendall(`hello ${i}\n`);
          const line = c.readLine();
          c.end();
          return line;
        }),
      );
    }
    spawn(() => {
      for (const c of clients) c.wait();
      const c = connect(port, '127.0.0.1');
      c.sendall('stop\n');
    });
    serve(server, (socket) => {
      for (;;) {
        const line = socket.readLine();
        if (line === null) return;
        if (line === 'stop') throw new StopServe();
        socket.sendall(`${line}!\n`);
      }
    });
    server.close();
    return clients.map((c) => c.wait());
  });
  t.deepEqual(result, ['hello 0!', 'hello 1!', 'hello 2!', 'hello 3!', 'hello 4!']);
});

test('serve bounds concurrency; a handler error stops it and is thrown', async (t) => {
  const result = await green(() => {
    const server = listen(0, '127.0.0.1');
    const { port } = server.address();
    let active = 0;
    let most = 0;
    for (let i = 0; i < 6; i++) spawn(() => connect(port, '127.0.0.1').sendall(i === 5 ? 'boom' : 'x'));
    let handled = 0;
    const error = t.throws(() =>
      serve(
        server,
        (socket) => {
          active++;
          most = Math.max(most, active);
          sleep(20);
          active--;
          handled++;
          if (socket.recv().toString() === 'boom') throw new Error('handler failed');
        },
        { concurrency: 2 },
      ),
    );
    server.close();
    return [most, error.message, handled >= 1];
  });
  t.deepEqual(result, [2, 'handler failed', true]);
});

test('serve returns when the server is closed', async (t) => {
  const done = await green(() => {
    const server = listen(0, '127.0.0.1');
    setTimeout(() => server.close(), 20);
    serve(server, () => {});
    return 'returned';
  });
  t.is(done, 'returned');
});

test('serve validates its arguments', async (t) => {
  await green(() => {
    const server = listen(0, '127.0.0.1');
    t.is(t.throws(() => serve(server, null)).code, 'ERR_INVALID_ARG_TYPE');
    t.is(t.throws(() => serve(server, () => {}, { concurrency: 0 })).code, 'ERR_OUT_OF_RANGE');
    server.close();
  });
});

test("green createServer: each 'connection' listener runs in its own green thread and may block", async (t) => {
  const threads = [];
  const server = gnet.createServer((socket) => {
    threads.push(getCurrent());
    const line = socket.readLine();
    socket.sendall(`${line} from ${getCurrent().name === threads[0].name ? 'first' : 'other'}\n`);
    socket.end();
  });
  t.true(server instanceof net.Server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const replies = await green(() => {
    const a = connect(port, '127.0.0.1');
    const b = connect(port, '127.0.0.1');
    b.sendall('b\n');
    a.sendall('a\n');
    return [a.readLine(), b.readLine()];
  });
  t.deepEqual(replies, ['a from first', 'b from other']);
  t.is(threads.length, 2);
  t.not(threads[0], threads[1]);
  await close(server);
});

test("green 'connection' listeners: order, this, arguments, once, and a throw before blocking propagates from emit", (t) => {
  const server = new gnet.Server();
  const calls = [];
  server.on('connection', function (a, b) {
    calls.push(['first', this === server, a, b, getCurrent() !== undefined]);
  });
  server.once('connection', () => calls.push(['once']));
  server.on('connection', () => calls.push(['third']));
  t.true(server.emit('connection', 1, 2));
  t.true(server.emit('connection', 3, 4));
  t.deepEqual(calls, [
    ['first', true, 1, 2, true],
    ['once'],
    ['third'],
    ['first', true, 3, 4, true],
    ['third'],
  ]);
  const failing = new gnet.Server();
  const boom = new Error('boom');
  failing.on('connection', () => {
    throw boom;
  });
  failing.on('connection', () => calls.push(['not reached']));
  t.is(t.throws(() => failing.emit('connection', {})), boom);
  t.false(new gnet.Server().emit('connection', {}));
  t.false(calls.some(([name]) => name === 'not reached'));
});

test('a listener that blocks lets the next listener run at once', async (t) => {
  const server = new gnet.Server();
  const order = [];
  server.on('connection', () => {
    order.push('a start');
    sleep(10);
    order.push('a end');
  });
  server.on('connection', () => order.push('b'));
  server.emit('connection');
  order.push('after emit');
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(order, ['a start', 'b', 'after emit', 'a end']);
});

test('ordinary net code is untouched: callbacks, events, stock servers', async (t) => {
  const server = net.createServer((s) => {
    t.is(getCurrent(), undefined);
    s.end('plain');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect(server.address().port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8').on('data', (d) => (text += d));
  await once(socket, 'end');
  t.is(text, 'plain');
  await close(server);
});

test('IPv6 loopback: connectSync, accept and recv over ::1', async (t) => {
  const probe = net.createServer();
  const ipv6 = await new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
  if (!ipv6) {
    t.pass('no IPv6 loopback here');
    return;
  }
  const result = await green(() => {
    const server = listen(0, '::1');
    const client = spawn(() => {
      const c = connect(server.address().port, '::1');
      c.sendall('six\n');
      return c.readLine();
    });
    const [socket, address] = server.accept();
    socket.sendall(`${socket.readLine()} ${address.family}\n`);
    const reply = client.wait();
    socket.destroy();
    server.close();
    return [address.address, reply];
  });
  t.deepEqual(result, ['::1', 'six IPv6']);
});

test('killing a green thread blocked in accept withdraws it: the next connection is queued, not lost', async (t) => {
  const result = await green(() => {
    const server = listen(0, '127.0.0.1');
    const { port } = server.address();
    const waiter = spawn(() => server.accept());
    sleep(10); // it is blocked in accept() now
    waiter.kill();
    const killed = t.throws(() => waiter.wait()).code;
    const client = net.connect(port, '127.0.0.1');
    sleep(30);
    const [socket] = server.accept(); // the connection waited in the queue
    const ok = socket.remotePort === client.localPort;
    socket.destroy();
    client.destroy();
    server.close();
    return [killed, ok];
  });
  t.deepEqual(result, ['ERR_GREENPATCH_THREAD_EXIT', true]);
});

test('readLine and recv on a socket with an encoding return strings', async (t) => {
  const server = await plainServer((s) => s.end('ünï\ncode'));
  const { port } = server.address();
  const got = await green(() => {
    const socket = gnet.connectSync(port, '127.0.0.1');
    socket.setEncoding('utf8');
    return [socket.readLine(), socket.recv(), socket.recv()];
  });
  t.deepEqual(got, ['ünï', 'code', '']);
  await close(server);
});

test.serial('a listener that throws after blocking goes to the error handler; the server keeps serving', async (t) => {
  const seen = [];
  const previous = setErrorHandler((error) => seen.push(error.message));
  try {
    const server = gnet.createServer((socket) => {
      const line = socket.readLine();
      if (line === 'fail') throw new Error('handler failed after blocking');
      socket.end(`ok ${line}\n`);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    const reply = await green(() => {
      const bad = connect(port, '127.0.0.1');
      bad.sendall('fail\n');
      sleep(30);
      const good = connect(port, '127.0.0.1');
      good.sendall('fine\n');
      const answer = good.readLine();
      bad.destroy();
      return answer;
    });
    t.is(reply, 'ok fine');
    t.deepEqual(seen, ['handler failed after blocking']);
    await close(server);
  } finally {
    setErrorHandler(previous);
  }
});

test('emit from inside a green thread: the listener thread starts at once and both go on independently', async (t) => {
  const order = [];
  const server = new gnet.Server();
  // The listener stays blocked until the emitter, which went on without it,
  // has slept and woken: causal, not timed, so a loaded machine keeps it.
  const emitterWoke = new Event();
  const listenerDone = new Event();
  server.on('connection', (tag) => {
    order.push(`listener ${tag} start`);
    emitterWoke.wait();
    order.push(`listener ${tag} end`);
    listenerDone.set();
  });
  await green(() => {
    order.push('emitter before');
    server.emit('connection', 'x');
    order.push('emitter after');
    sleep(5);
    order.push('emitter woke');
    emitterWoke.set();
    listenerDone.wait();
  });
  t.deepEqual(order, ['emitter before', 'listener x start', 'emitter after', 'emitter woke', 'listener x end']);
});

test('a thread keeps its AsyncLocalStorage store across recv and sendall on a socket made in another context', async (t) => {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage();
  const server = await plainServer((s) => {
    s.on('data', (d) => setTimeout(() => s.write(d), 5));
  });
  const { port } = server.address();
  const socket = als.run('outside', () => net.connect(port, '127.0.0.1'));
  await once(socket, 'connect');
  const seen = await green(() =>
    als.run('thread', () => {
      const seen = [];
      for (const word of ['one', 'two', 'three']) {
        socket.sendall(word);
        seen.push(`${socket.recvExactly(word.length)}:${als.getStore()}`);
        sleep(1);
        seen.push(als.getStore());
      }
      return seen;
    }),
  );
  t.deepEqual(seen, ['one:thread', 'thread', 'two:thread', 'thread', 'three:thread', 'thread']);
  t.is(als.getStore(), undefined);
  socket.destroy();
  await close(server);
});

const packageDir = fileURLToPath(new URL('..', import.meta.url));

test('an AsyncLocalStorage in use before greenpatch loads: a thread still keeps its store across socket waits', (t) => {
  const script = `
    const { AsyncLocalStorage } = require('node:async_hooks');
    const als = new AsyncLocalStorage();
    als.enterWith('main');
    const { spawn } = require('greenpatch');
    const net = require('greenpatch/green/net');
    const server = net.createServer((s) => s.on('data', (d) => setTimeout(() => s.write(d), 5)));
    server.listen(0, '127.0.0.1', () => {
      const socket = als.run('outside', () => net.connect(server.address().port, '127.0.0.1'));
      socket.once('connect', () => {
        spawn(() => als.run('thread', () => {
          const seen = [];
          for (const word of ['one', 'two']) {
            socket.sendall(word);
            seen.push(socket.recvExactly(word.length) + ':' + als.getStore());
          }
          console.log(seen.join(' '));
          socket.destroy();
          server.close();
        }));
      });
    });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, cwd: packageDir });
  t.is(r.stderr, '');
  t.is(r.stdout, 'one:thread two:thread\n');
});

test('where AsyncLocalStorage lives in async_hooks state, waits arm their resumption once a hook has been enabled, not before', (t) => {
  const script = `
    const { AsyncLocalStorage, createHook } = require('node:async_hooks');
    const { contextNeedsArming } = require('./dist/context-arming.js');
    const seen = [contextNeedsArming()];
    createHook({}).disable();
    seen.push(contextNeedsArming());
    new AsyncLocalStorage().run(1, () => {});
    seen.push(contextNeedsArming());
    console.log(seen.join(' '));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, cwd: packageDir });
  t.is(r.stderr, '');
  const inAsyncHooks = '_enable' in AsyncLocalStorage.prototype;
  t.is(r.stdout, inAsyncHooks ? 'false false true\n' : 'false false false\n');
});
