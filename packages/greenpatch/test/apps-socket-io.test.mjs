// socket.io: 'connection' listeners and event handlers run in green threads.
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

for (const flag of ['--require', '--import']) {
  test(`socket.io (${flag} greenpatch/register): connection and event handlers block; a slow handler does not hold up the next`, async (t) => {
    t.timeout(40_000);
    const r = await runFixture([flag, 'greenpatch/register', 'apps/socket-io.mjs']);
    t.is(r.stderr, '');
    t.is(r.code, 0);
    const out = JSON.parse(r.stdout);
    t.deepEqual(out.seen, ['connection green=true']);
    // 'slow' was emitted first; 'fast' was answered while it slept.
    t.deepEqual(out.answers, ['fast: upstream /fast', 'slow: upstream /slow']);
  });
}
