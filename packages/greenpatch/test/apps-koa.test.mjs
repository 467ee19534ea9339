// koa 2 and 3: plain middleware after an awaited body read may block.
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

for (const pkg of ['koa2', 'koa']) {
  for (const flag of ['--require', '--import']) {
    test(`${pkg} (${flag} greenpatch/register): middleware blocks after an await, koa awaits it, a throw after blocking is koa's`, async (t) => {
      t.timeout(40_000);
      const r = await runFixture([flag, 'greenpatch/register', 'apps/koa.js', pkg]);
      t.is(r.stderr, '');
      t.is(r.code, 0);
      const out = JSON.parse(r.stdout);
      t.deepEqual(out.answers, [
        [200, 'a -> downstream'],
        [200, 'b -> downstream'],
        [200, 'c -> downstream'],
      ]);
      t.deepEqual(out.thrown, [409, 'thrown after blocking']);
      t.deepEqual(out.order, ['async before', 'sync green=true', 'async after']);
    });
  }
}
