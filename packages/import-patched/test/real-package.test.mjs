// A real, unmodified npm package (cross-spawn, whose sync() goes through
// child_process.spawnSync) gains concurrency when loaded with importPatched,
// while the same package loaded with require() still blocks the process.
import test from 'ava';
import { createRequire } from 'node:module';
import { spawn } from 'greenpatch';
import { importPatched } from '@greenpatch/import-patched';

const require = createRequire(import.meta.url);
const THREADS = 4;

// Runs `job` in THREADS green threads; returns their results, the elapsed
// time, and how many times the event loop turned meanwhile.
async function runConcurrently(job) {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  const started = performance.now();
  const threads = Array.from({ length: THREADS }, () => spawn(job));
  const results = await Promise.all(
    threads.map((thread) => new Promise((resolve, reject) => {
      thread.link((g) => (g.successful() ? resolve(g.value) : reject(g.exception)));
    })),
  );
  const ms = performance.now() - started;
  clearInterval(ticker);
  return { results, ms, ticks };
}

test('cross-spawn: green threads overlap through importPatched, and block through require', async (t) => {
  const patched = importPatched('cross-spawn');
  const plain = require('cross-spawn');
  t.not(patched, plain);
  const job = (crossSpawn) => () => crossSpawn.sync('sleep', ['0.3']).status;

  const green = await runConcurrently(job(patched));
  const stock = await runConcurrently(job(plain));
  t.deepEqual(green.results, [0, 0, 0, 0]);
  t.deepEqual(stock.results, [0, 0, 0, 0]);
  // Through require() each sleep held the whole process: the event loop could
  // turn only between them. Through importPatched it kept turning.
  t.true(stock.ticks <= THREADS + 1, `event loop turned ${stock.ticks} times while blocked`);
  t.true(green.ticks > 10, `event loop turned ${green.ticks} times`);
  // Four 300 ms children: together, against one after another (same run).
  t.true(green.ms < stock.ms * 0.6, `green ${green.ms.toFixed(0)} ms, stock ${stock.ms.toFixed(0)} ms`);
  t.log(`4 x sleep 0.3: ${green.ms.toFixed(0)} ms through importPatched, ${stock.ms.toFixed(0)} ms through require`);
});
