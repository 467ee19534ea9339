// Many worker threads loading the engine at the same moment, again and
// again, each switching between fibers at once: the direct path's load
// checks run in every thread at the same time. A buffer shared by those
// checks once let two threads share one V8 archive block, which aborted
// ("Cannot create a handle without a HandleScope") or corrupted a worker's
// stack limits (docs/engine-direct-switch.md, "Threads loading at once"),
// and a scan for the stack guard that rarely stopped at the wrong word made
// about one worker in 2,500 fall back to the Locker path.
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('fixtures/load-race.cjs', import.meta.url));
const ROUNDS = 8;
const WORKERS = 8;
const PROCESSES = 2;
const x64 = process.arch === 'x64' && process.platform === 'linux';

function runChild() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fixture, String(ROUNDS), String(WORKERS)], { timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test('workers loading the engine at the same moment all get a working engine', async (t) => {
  // Two processes at once, as CI runs test files side by side.
  const runs = await Promise.all(Array.from({ length: PROCESSES }, runChild));
  for (const run of runs) {
    t.is(run.signal, null, run.stderr);
    t.is(run.code, 0, run.stderr);
    t.is(run.stderr, '');
    const { main, results } = JSON.parse(run.stdout.trim().split('\n').pop());
    const forced = process.env.GREENPATCH_SWITCH === 'locker' || process.env.GREENPATCH_BACKEND === 'threads';
    if (x64 && !forced) t.deepEqual(main, { path: 'direct', note: 'every load check passed' });
    t.is(results.length, ROUNDS);
    for (const round of results) {
      t.is(round.length, WORKERS);
      for (const [id, r] of round.entries()) {
        // Each of 50 fibers hands back id + its index, 20 times.
        t.deepEqual({ code: r.code, id: r.id, sum: r.sum }, { code: 0, id, sum: 20 * (50 * id + 1225) });
        // Every worker chooses the path the main thread chose, for the same
        // reason: the checks are per thread but their outcome is not.
        t.deepEqual({ path: r.path, note: r.note }, main);
      }
    }
  }
});
