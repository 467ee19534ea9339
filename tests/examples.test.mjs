// End to end: each example runs as its users run it
// (`node --import greenpatch/register <example>` in examples/), on loopback,
// and is driven by real clients (net sockets, fetch).
import test from 'ava';
import net from 'node:net';
import http from 'node:http';
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));

test.beforeEach((t) => t.timeout(40_000));

/** Starts an example; resolves with { child, port, output() } once it prints its address. */
function start(file, args = ['0']) {
  const child = spawn(process.execPath, ['--import', 'greenpatch/register', file, ...args], { cwd: examples });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not start: ${stdout} ${stderr}`));
    }, 20_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const match = /listening on (?:http:\/\/)?127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => ({ stdout, stderr }) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  // 'close', not 'exit': 'exit' can come before the child's last output has
  // been read from its pipes.
  const [code] = await once(child, 'close');
  return code;
}

/** A line-oriented client over a plain net socket. */
function client(port) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  const waiters = [];
  socket.on('data', (d) => {
    buffer += d;
    for (const w of [...waiters]) w();
  });
  return {
    socket,
    /** Resolves with the buffered text once it contains `text`, consuming up to it. */
    until(text) {
      return new Promise((resolve) => {
        const check = () => {
          const at = buffer.indexOf(text);
          if (at < 0) return false;
          const got = buffer.slice(0, at + text.length);
          buffer = buffer.slice(at + text.length);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(got);
          return true;
        };
        waiters.push(check);
        check();
      });
    },
  };
}

test('echo-server: many concurrent clients each get their bytes back', async (t) => {
  const { child, port, output } = await start('echo-server.mjs');
  const clients = Array.from({ length: 50 }, () => client(port));
  const replies = await Promise.all(
    clients.map((c, i) => {
      c.socket.write(`hello ${i}\n`);
      return c.until(`hello ${i}\n`);
    }),
  );
  t.deepEqual(replies, Array.from({ length: 50 }, (_, i) => `hello ${i}\n`));
  // A large message comes back whole.
  const big = client(port);
  const payload = 'x'.repeat(1_000_000) + '\n';
  big.socket.write(payload);
  t.is((await big.until('\n')).length, payload.length);
  // Clients leave; then the server is stopped (open connections would keep it alive, as in Node).
  for (const c of [...clients, big]) c.socket.end();
  await Promise.all([...clients, big].map((c) => once(c.socket, 'close')));
  t.is(await stop(child), 0);
  t.regex(output().stdout, /echo server stopped/);
  t.is(output().stderr, '');
});

test('chat-server: lines go to every other client', async (t) => {
  const { child, port, output } = await start('chat-server.mjs');
  const alice = client(port);
  await alice.until('name? ');
  alice.socket.write('alice\n');
  await alice.until('welcome, alice');
  const bob = client(port);
  await bob.until('name? ');
  bob.socket.write('bob\n');
  await bob.until('welcome, bob (2 here)');
  t.truthy(await alice.until('* bob joined\n'));
  bob.socket.write('hi alice\n');
  t.truthy(await alice.until('<bob> hi alice\n'));
  alice.socket.write('hi bob\n');
  t.truthy(await bob.until('<alice> hi bob\n'));
  bob.socket.write('/quit\n');
  t.truthy(await alice.until('* bob left\n'));
  alice.socket.destroy();
  t.is(await stop(child), 0);
  t.is(output().stderr, '');
});

test('http-server: blocking handlers serve concurrently; lookupSync and getSync inside handlers', async (t) => {
  const { child, port, output } = await start('http-server.mjs');
  const base = `http://127.0.0.1:${port}`;
  const slow = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/sleep/200`).then((r) => r.text())));
  t.deepEqual(slow, Array(20).fill('slept 200 ms\n'));
  t.is(await (await fetch(`${base}/lookup/localhost`)).text(), 'localhost is 127.0.0.1 (IPv4)\n');
  t.is(await (await fetch(`${base}/proxy/hi`)).text(), 'upstream said 200: hello from /hi\n');
  t.is(await (await fetch(`${base}/hello`)).text(), 'hello from /hello\n');
  t.is(await stop(child), 0);
  t.is(output().stderr, '');
});

test('express-blocking: express.json() then handlers calling a second service with getSync, served concurrently', async (t) => {
  const { child, port, output } = await start('express-blocking.mjs');
  const quote = (items) =>
    fetch(`http://127.0.0.1:${port}/quote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    }).then(async (r) => [r.status, await r.json()]);
  const answers = await Promise.all(Array.from({ length: 20 }, () => quote(['apple', 'pear', 'plum'])));
  const expected = { lines: [{ item: 'apple', cents: 30 }, { item: 'pear', cents: 45 }, { item: 'plum', cents: 20 }], total: 95 };
  t.deepEqual(answers, Array(20).fill([200, expected]));
  t.deepEqual(await quote(['apple', 'kiwi']), [422, { error: 'no price for kiwi' }]);
  t.deepEqual(await quote('apple'), [400, { error: 'expected {"items": [...]}' }]);
  t.is(await stop(child), 0);
  t.is(output().stderr, '');
});

test('crawler: crawls the site it starts, in order, and exits', async (t) => {
  const { stdout, stderr } = await new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'greenpatch/register', 'crawler.mjs', '31', '8'], { cwd: examples, timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(error) : resolve({ stdout, stderr }),
    ),
  );
  t.is(stderr, '');
  const lines = stdout.trim().split('\n');
  t.regex(lines.at(-1), /^crawled 31 pages in \d+ ms with 8 green threads$/);
  const pages = lines.slice(0, -1).map((l) => Number(/\/page\/(\d+)/.exec(l)[1]));
  // Breadth-first over a binary tree, each level in input order: 0..30 in order.
  t.deepEqual(pages, Array.from({ length: 31 }, (_, i) => i));
  t.true(lines.slice(0, -1).every((l) => l.startsWith('200 ')));
});

test('long-poll: 1,000 waiting clients each get every message exactly once, in order', async (t) => {
  t.timeout(120_000);
  const { child, port, output } = await start('long-poll.mjs');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1100 });
  const request = (method, path, body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve(JSON.parse(data)));
      });
      req.on('error', reject);
      req.end(body);
    });
  const untilWaiting = async (n) => {
    for (let i = 0; i < 1200; i++) {
      if ((await request('GET', '/stats')).waiting >= n) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`fewer than ${n} clients ever waited`);
  };
  const expected = ['m1', 'm2', 'm3', 'm4', 'm5'];
  const clients = Array.from({ length: 1000 }, async () => {
    const got = [];
    let since = 0;
    while (got.length < expected.length) {
      const { messages } = await request('GET', `/poll?since=${since}`);
      for (const m of messages) got.push(m.text);
      if (messages.length > 0) since = messages.at(-1).id;
    }
    return got;
  });
  // One message at a time while all 1,000 wait; then a burst of two, which
  // clients that poll again late receive together.
  for (const text of expected.slice(0, 3)) {
    await untilWaiting(1000);
    await request('POST', '/send', text);
  }
  await untilWaiting(1000);
  await request('POST', '/send', 'm4');
  await request('POST', '/send', 'm5');
  const results = await Promise.all(clients);
  t.is(results.length, 1000);
  t.true(results.every((got) => got.length === expected.length && got.every((m, i) => m === expected[i])));
  agent.destroy();
  t.is(await stop(child), 0);
  t.is(output().stderr, '');
});
