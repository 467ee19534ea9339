// Fibers that switch in the middle of a regular expression match (an
// interrupt's JavaScript, here a Runtime.evaluate from a worker connected to
// the thread's inspector). The direct path leaves the regexp backtrack stack
// live across switches outside a match (src/native/regexp_skip.h); inside
// one it must archive it for real, or the interrupted match, resumed over
// another flow's entries, crashes or answers wrongly. Both switch paths.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'regexp-switch.cjs');
const x64 = process.arch === 'x64' && process.platform === 'linux';
// On Node 24 and 26 (V8 13.6, 14) a fiber that yields inside an interrupt
// taken during a match crashes when resumed, on both switch paths alike
// (with no other match in between, so not through the regexp stack):
// not supported there yet, see docs/engine-direct-switch.md#the-regexp-stack.
const major = Number(process.versions.node.split('.')[0]);
const paths = x64 ? ['direct', 'locker'] : ['locker'];

// The fixture's report, after checking it exited cleanly on that path.
function run(t, path, mode) {
  const env = { ...process.env, GREENPATCH_SWITCH: path };
  delete env.GREENPATCH_BACKEND;
  const r = spawnSync(process.execPath, [fixture, '6', mode], { env, encoding: 'utf8', timeout: 100_000 });
  t.is(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  t.is(r.stderr, '');
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  t.is(out.path, path);
  return out;
}

// Every major: fibers suspended between matches (the skipped archives) and
// matches that grow the stack past its static 1 KB, interleaved.
for (const path of paths) {
  test.serial(`fibers switching between regexp matches keep their results (${path} path)`, (t) => {
    t.timeout(120_000);
    const out = run(t, path, 'between');
    t.is(out.midMatch, 0);
    t.is(out.results.length, 6);
    t.deepEqual(out.results.flat().filter((ok) => !ok), []);
    t.deepEqual(out.wrong, []);
  });
}

for (const path of major >= 24 ? [] : paths) {
  test.serial(`fibers suspended inside a regexp match resume it correctly (${path} path)`, (t) => {
    t.timeout(120_000);
    const out = run(t, path, 'inside');
    t.true(out.midMatch >= 1, 'no fiber was suspended inside a match');
    // Each suspended one ran a nested match before and after its switch.
    t.is(out.nestedOk, 2 * out.midMatch);
    t.true(out.results.length >= 6);
    t.deepEqual(out.results.flat().filter((ok) => !ok), []);
    t.deepEqual(out.wrong, []);
  });
}
