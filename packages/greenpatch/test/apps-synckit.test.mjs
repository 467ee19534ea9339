// synckit: one sync function shared by ten green threads; replies never mix.
import test from 'ava';
import module from 'node:module';
import { runFixture } from './helpers/run-fixture.mjs';

// Each green thread got its own reply, the threads waited cooperatively
// (the hub's timer ran meanwhile), and createSyncFn still hands out one
// function per worker file. Returns the fixture's report.
function assertOwnReplies(t, r) {
  t.is(r.stderr, '');
  t.is(r.code, 0);
  const out = JSON.parse(r.stdout);
  t.deepEqual(out.answers, Array.from({ length: 10 }, (_, id) => ({ id, answer: id * 10 })));
  t.true(out.ticks > 0);
  t.true(out.same);
  return out;
}

for (const flag of ['--require', '--import']) {
  test(`synckit (${flag} greenpatch/register): ten threads call one sync function, replies arriving in reverse order; each gets its own`, async (t) => {
    t.timeout(40_000);
    const r = await runFixture([flag, 'greenpatch/register', 'apps/synckit.js']);
    assertOwnReplies(t, r);
  });
}

// synckit's ES module build is patched through import-in-the-middle, which
// is loaded when the program imports it. Node 20 has no loader hook that
// sees the modules an entry run by require(esm) imports: there the ES build
// stays synckit's own, whose replies mix.
(typeof module.registerHooks === 'function' ? test : test.skip)(
  "synckit's ES module build imported by an ES entry (--import greenpatch/register): each thread gets its own reply; import-in-the-middle was loaded for it",
  async (t) => {
    t.timeout(40_000);
    const r = await runFixture(['--import', 'greenpatch/register', 'apps/synckit.mjs']);
    t.true(assertOwnReplies(t, r).iitm);
  },
);
