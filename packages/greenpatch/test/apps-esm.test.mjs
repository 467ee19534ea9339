// The npm entries reach packages imported from an ES module entry.
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

for (const flag of ['--require', '--import']) {
  test(`packages imported from ESM (${flag} greenpatch/register) are wrapped: koa, ws server and sockets, deasync`, async (t) => {
    t.timeout(40_000);
    const r = await runFixture([flag, 'greenpatch/register', 'apps/esm-import.mjs']);
    t.is(r.stderr, '');
    t.is(r.code, 0);
    const out = JSON.parse(r.stdout);
    t.true(out.koa);
    t.true(out.ws);
    t.true(out.wsSocket);
    t.true(out.deasync);
    t.true(out.express);
    // Their ES wrappers import CommonJS files: import-in-the-middle is not needed, nor loaded.
    t.false(out.iitm);
  });
}
