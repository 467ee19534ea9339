// Real, unmodified npm packages doing their work through the *Sync calls:
// cross-spawn's `sync` (CommonJS, calls child_process.spawnSync) and execa's
// `execaSync` (ESM, imports spawnSync from node:child_process). N green
// threads using one of them at once finish in about the time of one call;
// the same N calls without green threads take N times as long. Both figures
// are measured in the same run; the assertions are on ordering and on a
// generous ratio between them, never on a fixed duration.
import test from 'ava';
import { createRequire } from 'node:module';
import { patchAll, spawn } from 'greenpatch';

patchAll();
const require = createRequire(import.meta.url);
const crossSpawn = require('cross-spawn');
const { execaSync } = await import('execa');

test.beforeEach((t) => t.timeout(60_000));

function green(fn) {
  return new Promise((resolve, reject) => {
    const thread = spawn(fn);
    thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception)));
  });
}

const N = 6;
const CHILD_SECONDS = '0.25';

/** Runs `work(i)` in N green threads at once; returns the events and the elapsed time. */
async function concurrently(work) {
  const events = [];
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      green(() => {
        events.push(`start ${i}`);
        const value = work(i);
        events.push(`end ${i}`);
        return value;
      }),
    ),
  );
  return { events, results, ms: performance.now() - t0 };
}

/** The same N calls, one after another, on the hub (no green thread: stock behaviour). */
function serially(work) {
  const t0 = performance.now();
  const results = Array.from({ length: N }, (_, i) => work(i));
  return { results, ms: performance.now() - t0 };
}

for (const [name, work] of [
  ['cross-spawn sync', (i) => crossSpawn.sync('sh', ['-c', `sleep ${CHILD_SECONDS}; echo job ${i}`], { encoding: 'utf8' }).stdout],
  ['execa execaSync', (i) => execaSync('sh', ['-c', `sleep ${CHILD_SECONDS}; echo job ${i}`]).stdout],
]) {
  test.serial(`${name}: ${N} green threads overlap; without them the calls queue up`, async (t) => {
    const together = await concurrently(work);
    const oneByOne = serially(work);
    // Same answers either way.
    t.deepEqual(together.results.map((s) => s.trim()), oneByOne.results.map((s) => s.trim()));
    t.deepEqual(together.results.map((s) => s.trim()), Array.from({ length: N }, (_, i) => `job ${i}`));
    // Every green thread had started its child before the first one finished.
    t.deepEqual(together.events.slice(0, N).sort(), Array.from({ length: N }, (_, i) => `start ${i}`).sort());
    // The serial run takes about N times as long as the overlapped one; ask for half of that.
    t.log(`${N} concurrent: ${together.ms.toFixed(0)} ms; ${N} serial: ${oneByOne.ms.toFixed(0)} ms`);
    t.true(oneByOne.ms > (together.ms * N) / 2, `serial ${oneByOne.ms} ms vs concurrent ${together.ms} ms`);
  });
}

test.serial('cross-spawn and execa report failures as they do on stock Node', async (t) => {
  const failures = () => {
    const missing = crossSpawn.sync('greenpatch-no-such-command', ['x']);
    const status = crossSpawn.sync('sh', ['-c', 'exit 3']);
    let execaError;
    try {
      execaSync('sh', ['-c', 'echo bad >&2; exit 5']);
    } catch (error) {
      execaError = error;
    }
    let execaTimeout;
    try {
      execaSync('sleep', ['5'], { timeout: 200 });
    } catch (error) {
      execaTimeout = error;
    }
    return {
      missing: { code: missing.error.code, syscall: missing.error.syscall, path: missing.error.path, status: missing.status, pid: missing.pid },
      status: { status: status.status, signal: status.signal },
      execa: { exitCode: execaError.exitCode, stderr: execaError.stderr, failed: execaError.failed, shortMessage: execaError.shortMessage },
      timeout: { timedOut: execaTimeout.timedOut, signal: execaTimeout.signal, isTerminated: execaTimeout.isTerminated },
    };
  };
  t.deepEqual(await green(failures), failures());
});
