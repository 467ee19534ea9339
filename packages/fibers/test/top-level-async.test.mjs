// The engine learns Node's top-level async resource only in a promise job
// on an empty async-id stack (greenpatch/register's --import evaluation is
// one); fibers entered there switch without reaching Node's async-id stack
// through node:inspector, and still carry an async scope they yield in.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/top-level-async.cjs', import.meta.url));

test('fibers entered on an empty async-id stack switch without the inspector until one yields in a scope', (t) => {
  const r = spawnSync(process.execPath, ['--force-async-hooks-checks', fixture], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  const out = JSON.parse(r.stdout);
  t.deepEqual(out.learned, { main: false, immediate: false, betweenImmediatesOnProcessScope: true, betweenImmediates: false, promiseJob: true });
  t.false(out.reachedBefore);
  t.is(out.plain, 20);
  t.false(out.reachedAfterPlain);
  t.deepEqual(out.bad, []);
  t.true(out.done);
  // Carrying the scope needs Node's stack: reached then, not before.
  t.true(out.reachedAfterScope);
});
