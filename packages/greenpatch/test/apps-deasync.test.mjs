// deasync inside green threads blocks only the calling thread.
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

test('deasync: ten green threads sleep through it at once; callbacks and errors come back; the hub ticks', async (t) => {
  t.timeout(40_000);
  const r = await runFixture(['--require', 'greenpatch/register', 'apps/deasync.js']);
  t.is(r.stderr, '');
  t.is(r.code, 0);
  const out = JSON.parse(r.stdout);
  // Every thread started its 300 ms sleep before any finished: they overlapped.
  const starts = Array.from({ length: 10 }, (_, i) => `start ${i}`);
  t.deepEqual(out.order.slice(0, 10), starts);
  t.deepEqual(out.order.slice(10).sort(), Array.from({ length: 10 }, (_, i) => `end ${i}`).sort());
  t.true(out.elapsed < 2000, `took ${out.elapsed} ms (one after the other: 3000)`);
  t.true(out.ticks >= 3, `the hub timer ticked ${out.ticks} times`);
  t.is(out.doubled, 42);
  t.is(out.failed, 'callback error');
  t.true(out.hubDone);
});
