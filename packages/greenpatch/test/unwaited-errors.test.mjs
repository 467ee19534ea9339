// Errors in green threads nobody waits for: reported with exit status 0 by
// default; fatal (uncaught-exception semantics, status 1) under
// setUnwaitedErrorPolicy('fatal') or GREENPATCH_UNWAITED_ERRORS=fatal.
import test from 'ava';
import { createRequire } from 'node:module';
import { runFixture as run } from './helpers/run-fixture.mjs';

const require = createRequire(import.meta.url);
const { getUnwaitedErrorPolicy, setUnwaitedErrorPolicy } = require('greenpatch');

test('by default the error is printed and the exit status stays 0', async (t) => {
  const r = await run(['unwaited.js']);
  t.is(r.code, 0);
  t.is(r.stdout, 'caught waited for\nexit 0\n');
  t.regex(r.stderr, /^greenpatch: unhandled error in green thread lonely:\nError: nobody waits for me\n {4}at lonely /);
});

test("under 'fatal' it is raised as an uncaught exception: printed, exit status 1", async (t) => {
  for (const [args, env] of [
    [['unwaited.js', 'fatal'], {}],
    [['unwaited.js'], { GREENPATCH_UNWAITED_ERRORS: 'fatal' }],
  ]) {
    const r = await run(args, env);
    t.is(r.code, 1, r.stderr);
    // The waited-for thread is handled; the lonely one ends the process once the loop runs dry.
    t.is(r.stdout, 'caught waited for\nexit 1\n');
    t.regex(r.stderr, /greenpatch:unwaited-error:\d+\nthrow error; \/\/ green thread "lonely" ended with this error and nobody waits for it/);
    t.regex(r.stderr, /Error: nobody waits for me\n {4}at lonely /);
    t.notRegex(r.stderr, /greenpatch: unhandled error/);
  }
});

test("under 'fatal' a spawnN thread's error is raised at once", async (t) => {
  const r = await run(['unwaited.js', 'fatal', 'spawnN']);
  t.is(r.code, 1);
  t.is(r.stdout, 'exit 1\n');
  t.regex(r.stderr, /Error: nobody waits for me/);
});

test("under 'fatal' process 'uncaughtException' handlers receive it and the process goes on", async (t) => {
  const r = await run(['unwaited.js', 'fatal', 'handle', 'spawnN']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'handled nobody waits for me (uncaughtException)\ncaught waited for\nexit 0\n');
  t.is(r.stderr, '');
});

test('the policy is checked, and setUnwaitedErrorPolicy returns the previous one', (t) => {
  t.is(getUnwaitedErrorPolicy(), 'report');
  t.is(setUnwaitedErrorPolicy('fatal'), 'report');
  t.is(getUnwaitedErrorPolicy(), 'fatal');
  t.is(setUnwaitedErrorPolicy('report'), 'fatal');
  for (const bad of ['Fatal', '', null, 1, undefined]) {
    t.throws(() => setUnwaitedErrorPolicy(bad), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  t.is(getUnwaitedErrorPolicy(), 'report');
});

test('a bad GREENPATCH_UNWAITED_ERRORS stops greenpatch/register at start-up', async (t) => {
  const r = await run(['--require', 'greenpatch/register', 'quiet.js'], { GREENPATCH_UNWAITED_ERRORS: 'sometimes' });
  t.not(r.code, 0);
  t.regex(r.stderr, /GREENPATCH_UNWAITED_ERRORS must be 'report' or 'fatal', not 'sometimes'/);
});
