// Real, unmodified npm packages doing their work through the *Sync calls:
// cross-spawn's `sync` (CommonJS, calls child_process.spawnSync) and execa's
// `execaSync` (ESM, imports spawnSync from node:child_process). N green
// threads using one of them run their children at the same time; the same N
// calls made on the hub (where greenpatch leaves them stock) run one after
// another. Both are told by the order of events, never by durations, so a
// loaded machine cannot fail them.
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

/** Runs `work(i)` in N green threads at once; returns the events and the results. */
async function concurrently(work) {
  const events = [];
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
  return { events, results };
}

/** The same N calls, each from an event-loop callback on the hub (no green thread: stock behaviour). */
async function onTheHub(work) {
  const events = [];
  const results = await Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
        new Promise((resolve) =>
          setImmediate(() => {
            events.push(`start ${i}`);
            const value = work(i);
            events.push(`end ${i}`);
            resolve(value);
          }),
        ),
    ),
  );
  return { events, results };
}

for (const [name, work] of [
  ['cross-spawn sync', (i) => crossSpawn.sync('sh', ['-c', `sleep ${CHILD_SECONDS}; echo job ${i}`], { encoding: 'utf8' }).stdout],
  ['execa execaSync', (i) => execaSync('sh', ['-c', `sleep ${CHILD_SECONDS}; echo job ${i}`]).stdout],
]) {
  test.serial(`${name}: ${N} green threads overlap; without them the calls queue up`, async (t) => {
    const together = await concurrently(work);
    const oneByOne = await onTheHub(work);
    // Same answers either way.
    t.deepEqual(together.results.map((s) => s.trim()), oneByOne.results.map((s) => s.trim()));
    t.deepEqual(together.results.map((s) => s.trim()), Array.from({ length: N }, (_, i) => `job ${i}`));
    // Every green thread had started its child before any of them finished:
    // while one waited, the others ran.
    t.deepEqual(together.events.slice(0, N), Array.from({ length: N }, (_, i) => `start ${i}`));
    t.deepEqual(together.events.slice(N).sort(), Array.from({ length: N }, (_, i) => `end ${i}`).sort());
    // On the hub each call held the process until its child was done.
    t.deepEqual(oneByOne.events, Array.from({ length: N }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
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
