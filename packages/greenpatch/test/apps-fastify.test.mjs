// fastify 4 and 5: handlers, hooks and the error handler may block, over the
// network and through inject().
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

for (const pkg of ['fastify4', 'fastify']) {
  for (const flag of ['--require', '--import']) {
    test(`${pkg} (${flag} greenpatch/register): POST with a body, hooks, inject(), a throw after blocking, not found`, async (t) => {
      t.timeout(40_000);
      const r = await runFixture([flag, 'greenpatch/register', 'apps/fastify.js', pkg]);
      t.is(r.stderr, '');
      t.is(r.code, 0);
      const out = JSON.parse(r.stdout);
      t.deepEqual(out.injected, [
        [200, { got: { a: 1 }, green: true }],
        [201, { sent: 2 }],
        [418, { handled: 'thrown after blocking: 3' }],
        [200, 'not blocking'],
        [404, { missing: '/nowhere', green: true }],
      ]);
      t.deepEqual(out.network, Array.from({ length: 20 }, (_, n) => [200, { got: { n }, green: true }]));
      // 20 handlers sleeping 50 ms each, side by side.
      t.true(out.elapsed < 5000, `took ${out.elapsed} ms`);
      t.deepEqual(out.hooks, ['preHandler green=true']);
    });
  }
}
