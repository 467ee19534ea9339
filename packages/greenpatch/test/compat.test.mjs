// Third-party packages under `node --require greenpatch/register` behave as
// without it: an express app served and queried (undici, fetch, http.get),
// and the ioredis client against a redis-server this test starts on a free
// loopback port (skipped, with a note, when redis-server is not installed).
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { runFixture as run } from './helpers/run-fixture.mjs';

test.beforeEach((t) => t.timeout(40_000));

test('express + undici + fetch + http.get: the same output with and without the hook', async (t) => {
  const stock = await run(['compat-express.js']);
  t.is(stock.code, 0, stock.stderr);
  const hooked = await run(['--require', 'greenpatch/register', 'compat-express.js']);
  t.deepEqual(hooked, stock);
  const out = JSON.parse(stock.stdout);
  t.deepEqual(out[0], ['undici', 200, { hello: 'undici', query: { x: '1' } }]);
  t.deepEqual(out[3], ['error route', 500, { error: 'route failed' }]);
});

test('express route handlers may block under the hook (sleep, getSync), served concurrently', async (t) => {
  const r = await run(['--require', 'greenpatch/register', 'express-blocking.js']);
  t.is(r.stderr, '');
  t.is(r.code, 0);
  const [top, bodies] = r.stdout.trim().split('\n');
  t.is(top, 'proxied: upstream /top');
  t.deepEqual(JSON.parse(bodies), [...Array(10).fill('slept 50'), 'proxied: upstream /x']);
});

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const failed = once(child, 'error').then(([error]) => {
    throw error;
  });
  let output = '';
  const ready = new Promise((resolve) =>
    child.stdout.on('data', (d) => {
      output += d;
      if (output.includes('Ready to accept connections')) resolve();
    }),
  );
  const timer = new Promise((_, reject) => setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 15_000).unref());
  await Promise.race([ready, failed, timer]);
  return { port, stop: async () => {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  } };
}

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

(hasRedis ? test : test.skip)('ioredis against a local redis-server: the same output with and without the hook', async (t) => {
  const redis = await startRedis();
  try {
    const env = { REDIS_PORT: String(redis.port) };
    const stock = await run(['compat-redis.js'], env);
    t.is(stock.code, 0, stock.stderr);
    const hooked = await run(['--require', 'greenpatch/register', 'compat-redis.js'], env);
    t.deepEqual(hooked, stock);
    const out = JSON.parse(stock.stdout);
    t.is(out[0], 'OK');
    t.is(out[1], 'hello');
    t.deepEqual(out[8], ['news', 'flash']);
    const green = await run(['--require', 'greenpatch/register', 'compat-redis.js'], { ...env, GREEN: '1' });
    t.is(green.stderr, '');
    t.is(JSON.parse(green.stdout).at(-1), 'hello from a green thread');
  } finally {
    await redis.stop();
  }
});

if (!hasRedis) {
  test('redis-server is not installed: the ioredis test was skipped (apt-get install redis-server)', (t) => t.pass());
}
