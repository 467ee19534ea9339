// ws: 'connection' and each socket's 'message' listeners run in green threads.
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

for (const flag of ['--require', '--import']) {
  test(`ws (${flag} greenpatch/register): connection and message listeners block; a slow message does not hold up the next`, async (t) => {
    t.timeout(40_000);
    const r = await runFixture([flag, 'greenpatch/register', 'apps/ws.mjs']);
    t.is(r.stderr, '');
    t.is(r.code, 0);
    const out = JSON.parse(r.stdout);
    t.deepEqual(out.seen, ['connection green=true']);
    // 'slow' was sent first; its listener was still sleeping when 'fast' was answered.
    t.deepEqual(out.replies, ['hello', 'fast: upstream /fast', 'slow: upstream /slow']);
  });
}
