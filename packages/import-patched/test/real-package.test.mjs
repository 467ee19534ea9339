// A real, unmodified npm package (cross-spawn, whose sync() goes through
// child_process.spawnSync) gains concurrency when loaded with importPatched,
// while the same package loaded with require() still blocks the process.
import test from 'ava';
import { createRequire } from 'node:module';
import { spawn } from 'greenpatch';
import { importPatched } from '@greenpatch/import-patched';

const require = createRequire(import.meta.url);
const THREADS = 4;

// Runs `job` in THREADS green threads; returns their results and the order
// in which they started and finished their calls.
async function runConcurrently(job) {
  const events = [];
  const threads = Array.from({ length: THREADS }, (_, i) =>
    spawn(() => {
      events.push(`start ${i}`);
      const value = job();
      events.push(`end ${i}`);
      return value;
    }),
  );
  const results = await Promise.all(
    threads.map((thread) => new Promise((resolve, reject) => {
      thread.link((g) => (g.successful() ? resolve(g.value) : reject(g.exception)));
    })),
  );
  return { results, events };
}

const starts = Array.from({ length: THREADS }, (_, i) => `start ${i}`);
const ends = Array.from({ length: THREADS }, (_, i) => `end ${i}`);

test('cross-spawn: green threads overlap through importPatched, and block through require', async (t) => {
  const patched = importPatched('cross-spawn');
  const plain = require('cross-spawn');
  t.not(patched, plain);
  const job = (crossSpawn) => () => crossSpawn.sync('sleep', ['0.3']).status;

  const green = await runConcurrently(job(patched));
  const stock = await runConcurrently(job(plain));
  t.deepEqual(green.results, [0, 0, 0, 0]);
  t.deepEqual(stock.results, [0, 0, 0, 0]);
  // Through importPatched every thread had started its child before any
  // finished: while one waited, the event loop ran the others.
  t.deepEqual(green.events.slice(0, THREADS), starts);
  t.deepEqual(green.events.slice(THREADS).sort(), ends);
  // Through require() each call held the whole process until its child was
  // done: no other thread could start meanwhile.
  t.deepEqual(stock.events, starts.flatMap((s, i) => [s, ends[i]]));
});
