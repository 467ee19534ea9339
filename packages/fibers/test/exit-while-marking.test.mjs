// A process that ends while V8 is marking: V8 finishes that collection in
// Isolate::Deinit, on a thread that no longer holds the isolate's lock, and
// calls the engine's GC callbacks there. They once opened a HandleScope and
// aborted the process ("Entering the V8 API without proper locking") on
// Node 24 and 26, in about two exits out of three with this fixture.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('fixtures/exit-while-marking.cjs', import.meta.url));
const RUNS = 8;

function run() {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--stress-incremental-marking', fixture], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, signal: error?.signal ?? null, stdout, stderr }),
    );
  });
}

test('processes that end while V8 marks exit cleanly', async (t) => {
  t.timeout(120_000);
  for (let i = 0; i < RUNS; i++) {
    const r = await run();
    t.deepEqual({ code: r.code, signal: r.signal, stderr: r.stderr }, { code: 0, signal: null, stderr: '' }, `run ${i + 1} of ${RUNS}`);
  }
});
