// The main green thread blocked on something that can never happen: the
// process says so on stderr and exits 13 (as Node does for an unsettled
// top-level await), for CommonJS and ES module entries; an explicit
// process.exit() keeps its own status.
import test from 'ava';
import { runFixture as run } from './helpers/run-fixture.mjs';

const message = (call) =>
  `greenpatch: the main green thread is blocked in ${call} and nothing is left that could wake it; exiting with status 13\n`;

for (const [what, call] of [
  ['queue', 'Queue.get()'],
  ['event', 'Event.wait()'],
  ['sleep', 'sleep()'],
]) {
  test(`a CommonJS entry blocked forever in ${call} exits 13 and says where`, async (t) => {
    const r = await run(['--require', 'greenpatch/register', 'blocked-forever.js', what]);
    t.is(r.stdout, 'before\n');
    t.is(r.stderr, message(call));
    t.is(r.code, 13);
  });
}

test('an ES module entry blocked forever exits 13 too, under --import and --require', async (t) => {
  for (const flag of ['--import', '--require']) {
    const r = await run([flag, 'greenpatch/register', 'blocked-forever.mjs']);
    t.is(r.stdout, 'before\n', flag);
    t.is(r.stderr, message('Queue.get()'), flag);
    t.is(r.code, 13, flag);
  }
});

test('process.exit() while the main thread is blocked keeps its status, silently', async (t) => {
  const r = await run(['--require', 'greenpatch/register', 'blocked-forever.js', 'exit']);
  t.is(r.stdout, 'before\n');
  t.is(r.stderr, '');
  t.is(r.code, 0);
});
