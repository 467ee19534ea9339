// express 4 and 5 under greenpatch/register, with express.json() in front of
// handlers that block: each middleware or handler called outside a green
// thread runs in one of its own, and express's own error handling is kept.
import test from 'ava';
import { runFixture } from './helpers/run-fixture.mjs';

for (const pkg of ['express4', 'express']) {
  test(`${pkg}: 50 concurrent POSTs through express.json() to a handler sleeping 200 ms`, async (t) => {
    t.timeout(40_000);
    const r = await runFixture(['--require', 'greenpatch/register', 'apps/express.js', pkg]);
    t.is(r.stderr, '');
    t.is(r.code, 0);
    const out = JSON.parse(r.stdout);
    t.deepEqual(
      out.answers,
      Array.from({ length: 50 }, (_, n) => [200, { n, seen: ['json-then-middleware'] }]),
    );
    // Handlers slept at the same time: far more than one at once (counted,
    // not timed: a loaded machine stretches the wall time, not the overlap).
    t.true(out.maxSleeping >= 10, `at most ${out.maxSleeping} handlers slept at once`);
    // A throw after blocking and next(err) both reach the error middleware.
    t.deepEqual(out.thrown, [500, { error: 'failed after blocking: 7' }]);
    t.deepEqual(out.nexted, [500, { error: 'passed to next' }]);
    t.deepEqual(out.events, ['error middleware', 'error middleware']);
  });
}

for (const pkg of ['express4', 'express']) {
  test(`${pkg}: the table entry is what lets the handler block (GREENPATCH_PATCH without it, unpatch())`, async (t) => {
    t.timeout(40_000);
    const on = await runFixture(['--require', 'greenpatch/register', 'apps/express-one.js', pkg]);
    t.is(on.stderr, '');
    t.is(on.stdout, 'true slept for me\n');
    const off = await runFixture(['--require', 'greenpatch/register', 'apps/express-one.js', pkg], { GREENPATCH_PATCH: 'net,http' });
    t.is(off.stderr, '');
    t.is(off.stdout, 'false ERR_GREENPATCH_BLOCKING_ON_HUB\n');
    const unpatched = await runFixture(['--require', 'greenpatch/register', 'apps/express-one.js', pkg, 'unpatch']);
    t.is(unpatched.stderr, '');
    t.is(unpatched.stdout, 'false ERR_GREENPATCH_BLOCKING_ON_HUB\n');
  });
}

for (const pkg of ['express4', 'express']) {
  test(`${pkg}: app.param() callbacks behind express.json() block in green threads; their throws reach the error middleware`, async (t) => {
    t.timeout(40_000);
    const r = await runFixture(['--require', 'greenpatch/register', 'apps/express-params.js', pkg]);
    t.is(r.stderr, '');
    t.is(r.code, 0);
    const out = JSON.parse(r.stdout);
    t.deepEqual(
      out.answers,
      Array.from({ length: 20 }, (_, n) => [200, { item: `item ${n}`, body: { id: String(n) } }]),
    );
    t.deepEqual(out.failures, [[500, { error: 'no item bad' }], [500, { error: 'passed to next' }]]);
    t.true(out.maxSleeping >= 2, `at most ${out.maxSleeping} param callbacks slept at once`);
  });
}
