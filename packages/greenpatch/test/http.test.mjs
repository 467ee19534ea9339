// greenpatch/green/http and /https: requestSync, getSync, the blocking
// response body, keep-alive, green 'request' listeners; on loopback.
import test from 'ava';
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { getCurrent, sleep, spawn, Timeout, SyncResponse } from 'greenpatch';
import * as ghttp from 'greenpatch/green/http';
import * as ghttps from 'greenpatch/green/https';
import { close, deadPort, green } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(20_000));

const tlsOptions = {
  key: readFileSync(new URL('./fixtures/key.pem', import.meta.url)),
  cert: readFileSync(new URL('./fixtures/cert.pem', import.meta.url)),
};

async function stockServer(handler, module = http, options = {}) {
  const server = module.createServer(options, handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scheme = module === https ? 'https' : 'http';
  return { server, url: `${scheme}://127.0.0.1:${server.address().port}` };
}

const reflect = (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, header: req.headers['x-test'] ?? null, body }));
  });
};

test('getSync returns the head at once; text(), json(), body() read the body', async (t) => {
  const { server, url } = await stockServer(reflect);
  const got = await green(() => {
    const a = ghttp.getSync(`${url}/a`);
    const head = [a instanceof SyncResponse, a.statusCode, a.statusMessage, a.headers['content-type'], a.httpVersion];
    const json = a.json();
    const b = ghttp.getSync(new URL(`${url}/b`));
    const text = b.text();
    const c = ghttp.getSync({ host: '127.0.0.1', port: server.address().port, path: '/c' });
    const body = c.body();
    return [head, json, JSON.parse(text).url, Buffer.isBuffer(body), JSON.parse(body).url];
  });
  t.deepEqual(got, [
    [true, 200, 'OK', 'application/json', '1.1'],
    { method: 'GET', url: '/a', header: null, body: '' },
    '/b',
    true,
    '/c',
  ]);
  await close(server);
});

test('requestSync sends a body: (url, body), (options, body), (url, options, body)', async (t) => {
  const { server, url } = await stockServer(reflect);
  const { port } = server.address();
  const got = await green(() => [
    ghttp.requestSync(`${url}/one`, 'ignored for GET?').json(),
    ghttp.requestSync({ host: '127.0.0.1', port, path: '/two', method: 'POST', headers: { 'x-test': 'yes' } }, 'payload').json(),
    ghttp.requestSync(`${url}/three`, { method: 'PUT' }, Buffer.from('bytes')).json(),
  ]);
  t.deepEqual(got, [
    { method: 'GET', url: '/one', header: null, body: 'ignored for GET?' },
    { method: 'POST', url: '/two', header: 'yes', body: 'payload' },
    { method: 'PUT', url: '/three', header: null, body: 'bytes' },
  ]);
  await close(server);
});

test('read(n) reads n bytes at a time across chunks, then the rest, then empty', async (t) => {
  const { server, url } = await stockServer((req, res) => {
    res.write('abc');
    setTimeout(() => res.write('defg'), 20);
    setTimeout(() => res.end('hij'), 40);
  });
  const parts = await green(() => {
    const r = ghttp.getSync(url);
    return [r.read(5).toString(), r.read(0).length, r.read().toString(), r.read(3).length, r.read().length];
  });
  t.deepEqual(parts, ['abcde', 0, 'fghij', 0, 0]);
  await close(server);
});

test('read(n) rejects a bad n', async (t) => {
  const { server, url } = await stockServer((req, res) => res.end('x'));
  await green(() => {
    const r = ghttp.getSync(url);
    t.is(t.throws(() => r.read(-1)).code, 'ERR_OUT_OF_RANGE');
    r.body();
  });
  await close(server);
});

test('errors are Node’s: ECONNREFUSED; an invalid URL throws as http.request does', async (t) => {
  const port = await deadPort();
  const codes = await green(() => [
    t.throws(() => ghttp.getSync(`http://127.0.0.1:${port}/`)).code,
    t.throws(() => ghttp.requestSync('not a url')).code,
  ]);
  t.deepEqual(codes, ['ECONNREFUSED', 'ERR_INVALID_URL']);
});

test('a response cut short makes the body read throw', async (t) => {
  const { server, url } = await stockServer((req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
    setTimeout(() => res.socket.destroy(), 20);
  });
  const code = await green(() => {
    const r = ghttp.getSync(url);
    try {
      r.body();
      return 'no error';
    } catch (error) {
      return error.code;
    }
  });
  t.is(code, 'ECONNRESET');
  await close(server);
});

test('outside a green thread the *Sync calls throw ERR_GREENPATCH_BLOCKING_ON_HUB', (t) => {
  t.is(t.throws(() => ghttp.getSync('http://127.0.0.1:1/')).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  t.is(t.throws(() => ghttps.requestSync('https://127.0.0.1:1/')).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
});

test('a keep-alive agent reuses one connection across requestSync calls once bodies are read', async (t) => {
  let connections = 0;
  const { server, url } = await stockServer((req, res) => res.end(req.url));
  server.on('connection', () => connections++);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bodies = await green(() => {
    const out = [];
    for (let i = 0; i < 5; i++) out.push(ghttp.getSync(`${url}/${i}`, { agent }).text());
    return out;
  });
  t.deepEqual(bodies, ['/0', '/1', '/2', '/3', '/4']);
  t.is(connections, 1);
  agent.destroy();
  await close(server);
});

test('a Timeout interrupts getSync and destroys the request', async (t) => {
  let aborted;
  let received = false;
  const closed = new Promise((resolve) => (aborted = resolve));
  const { server, url } = await stockServer((req, res) => {
    received = true;
    req.socket.on('close', aborted);
  });
  const code = await green(() => {
    // Long enough for the request to reach the server on a loaded machine
    // (checked below: otherwise the test would wait for a close that
    // cannot come); the server never answers.
    const timeout = Timeout.startNew(2000);
    try {
      ghttp.getSync(url);
      return 'no error';
    } catch (error) {
      return error.code;
    } finally {
      timeout.cancel();
    }
  });
  t.is(code, 'ERR_GREENPATCH_TIMEOUT');
  t.true(received, 'the request reached the server before the Timeout fired');
  if (received) await closed;
  server.closeAllConnections();
  await close(server);
});

test("green createServer: 'request' listeners run in their own green threads and may block, concurrently", async (t) => {
  const server = ghttp.createServer((req, res) => {
    const thread = getCurrent();
    sleep(30); // blocks this request only
    res.end(`${req.url} ${thread !== undefined}`);
  });
  t.true(server instanceof http.Server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  // Stock clients (fetch), all at once.
  const bodies = await Promise.all(['/a', '/b', '/c'].map((p) => fetch(url + p).then((r) => r.text())));
  t.deepEqual(bodies, ['/a true', '/b true', '/c true']);
  await close(server);
});

test("green 'request' listeners: this, arguments, order; a listener that never blocks finishes inside emit", (t) => {
  const server = new ghttp.Server();
  const calls = [];
  server.on('request', function (req, res) {
    calls.push([this === server, req, res, getCurrent() !== undefined]);
  });
  server.on('request', () => calls.push('second'));
  server.emit('request', 'req', 'res');
  t.deepEqual(calls, [[true, 'req', 'res', true], 'second']);
});

test('https: requestSync and a green https server with a blocking handler', async (t) => {
  const server = ghttps.createServer(tlsOptions, (req, res) => {
    sleep(5);
    res.end(`secure ${req.url}`);
  });
  t.true(server instanceof https.Server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const got = await green(() => [
    ghttps.getSync(`https://127.0.0.1:${port}/x`, { ca: tlsOptions.cert }).text(),
    ghttps.requestSync({ host: '127.0.0.1', port, path: '/y', method: 'POST', ca: tlsOptions.cert }, 'b').text(),
    t.throws(() => ghttps.getSync(`https://127.0.0.1:${port}/z`)).code,
  ]);
  t.deepEqual(got, ['secure /x', 'secure /y', 'DEPTH_ZERO_SELF_SIGNED_CERT']);
  server.closeAllConnections();
  await close(server);
});

test('stock http is untouched: callbacks, stock servers, no green thread in handlers', async (t) => {
  const { server, url } = await stockServer((req, res) => {
    t.is(getCurrent(), undefined);
    res.end('plain');
  });
  const res = await new Promise((resolve) => http.get(url, resolve));
  let text = '';
  res.on('data', (d) => (text += d));
  await once(res, 'end');
  t.is(text, 'plain');
  await close(server);
});

test('many green clients at once against one server', async (t) => {
  const { server, url } = await stockServer((req, res) => setTimeout(() => res.end(req.url), 5));
  const results = await green(() => {
    const threads = [];
    for (let i = 0; i < 50; i++) threads.push(spawn(() => ghttp.getSync(`${url}/${i}`).text()));
    return threads.map((th) => th.wait());
  });
  t.deepEqual(results, Array.from({ length: 50 }, (_, i) => `/${i}`));
  await close(server);
});
