// synckit: one sync function shared by ten green threads; replies never mix.
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

for (const flag of ['--require', '--import']) {
  test(`synckit (${flag} greenpatch/register): ten threads call one sync function, replies arriving in reverse order; each gets its own`, async (t) => {
    t.timeout(40_000);
    const r = await runFixture([flag, 'greenpatch/register', 'apps/synckit.js']);
    t.is(r.stderr, '');
    t.is(r.code, 0);
    const out = JSON.parse(r.stdout);
    t.deepEqual(out.answers, Array.from({ length: 10 }, (_, id) => ({ id, answer: id * 10 })));
    // The threads waited cooperatively: the hub's timer ran meanwhile.
    t.true(out.ticks > 0);
    // createSyncFn still hands out one function per worker file.
    t.true(out.same);
  });
}
