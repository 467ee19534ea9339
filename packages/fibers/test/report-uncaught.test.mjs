// Fiber.reportUncaught(fn, keep): what fn throws is reported as Node reports
// an uncaught exception, from the throw's own line, on either backend; keep
// may take it instead; the process goes on when a listener handles it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fiber from '@greenpatch/fibers';

const fixture = fileURLToPath(new URL('fixtures/report-uncaught.cjs', import.meta.url));
const run = (mode) => spawnSync(process.execPath, [fixture, mode], { encoding: 'utf8', timeout: 30_000 });

test('an error nothing handles: Node prints the line of the throw inside the fiber and exits 1', (t) => {
  const r = run('fatal');
  t.is(r.status, 1);
  t.is(r.stdout, '');
  t.true(r.stderr.startsWith(`${fixture}:5\n  throw new RangeError('from the fiber');\n  ^\n\nRangeError: from the fiber\n    at fail (`), r.stderr);
});

test("an 'uncaughtException' listener handles it; reportUncaught returns true and the program goes on", (t) => {
  const r = run('handled');
  t.is(r.stderr, '');
  t.is(r.stdout, 'listener from the fiber uncaughtException\nthrew true\nafter run\n');
  t.is(r.status, 0);
});

test('keep() may take the error: nothing is reported', (t) => {
  const r = run('kept');
  t.is(r.stderr, '');
  t.is(r.stdout, 'threw true\nafter run\n');
});

test('fn returning: false', (t) => {
  const r = run('returns');
  t.is(r.stdout, 'threw false\nafter run\n');
  t.is(r.status, 0);
});

test('anything but functions: ERR_INVALID_ARG_TYPE', (t) => {
  for (const args of [[], [1], [() => {}, 2]]) {
    t.throws(() => Fiber.reportUncaught(...args), { code: 'ERR_INVALID_ARG_TYPE', instanceOf: TypeError });
  }
});
