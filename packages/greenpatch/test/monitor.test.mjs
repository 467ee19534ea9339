// The hub monitor: a green thread or a hub callback that keeps the event
// loop from turning past the threshold is named, with its stack, on stderr
// and to onReport; cooperative blocking is not reported; threads left
// blocked when the loop runs dry are listed. The busy loops run 1.5 s
// against a 200 ms threshold, so a loaded machine does not change outcomes.
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { runFixture as run } from './helpers/run-fixture.mjs';

const require = createRequire(import.meta.url);
const { startMonitor, stopMonitor, monitorRunning } = require('greenpatch');

const reports = (stdout) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));

test('a busy green thread is named with its stack, on stderr and to onReport', async (t) => {
  const r = await run(['monitor.js', 'thread', 'api']);
  t.is(r.code, 0, r.stderr);
  // Normally the stack is taken during the loop; on a machine so loaded that
  // the pause comes late, when the loop returns: either way it is named.
  t.regex(r.stderr, /greenpatch monitor: (green thread "hog" has kept the event loop from turning for \d+ ms \(threshold 200 ms\); its stack|.*\n.*green thread "hog" came back to JavaScript from the native call here):\n {4}at busyLoop \(.*monitor\.js:\d+:\d+\)\n {4}at hog \(/);
  t.regex(r.stderr, /the event loop turned again after about \d+ ms/);
  const [report, ...rest] = reports(r.stdout);
  t.is(rest.length, 0, r.stdout);
  t.is(report.kind, 'blocked');
  t.is(report.thread, 'hog');
  t.regex(report.stack, /^ {4}at busyLoop \(.*monitor\.js:\d+:\d+\)\n {4}at hog \(/);
  // greenpatch's own frames under the thread's function are left out.
  t.notRegex(report.stack, /greenthread\.js|fiber-reuse\.js/);
  t.true(report.duration >= 200, String(report.duration));
});

test('GREENPATCH_MONITOR starts it from greenpatch/register', async (t) => {
  const r = await run(['--require', 'greenpatch/register', 'monitor.js', 'stuck'], { GREENPATCH_MONITOR: '200' });
  t.is(r.code, 0, r.stderr);
  // (Only this part: on a loaded machine, loading the modules may be reported as a stretch too.)
  t.regex(r.stderr, /greenpatch monitor: the event loop has nothing left to run, and 1 green thread is still blocked on what can never happen:\n {2}"waiter" in Event\.wait\(\)\n/);
});

test('a busy timer callback is reported as a callback on the hub, with its stack', async (t) => {
  const r = await run(['monitor.js', 'timer', 'api']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /a callback on the hub \(not in a green thread\) (has kept the event loop from turning .*; its stack|came back to JavaScript from the native call here):\n {4}at busyLoop \(.*\n {4}at onTick \(.*\n {4}at listOnTimeout \(node:internal\/timers/);
  const [report] = reports(r.stdout);
  t.is(report.kind, 'blocked');
  t.is(report.thread, undefined);
  t.regex(report.stack, /at onTick \(/);
});

test('a thread blocked inside native code is named where it comes back to JavaScript', async (t) => {
  const r = await run(['monitor.js', 'native', 'api']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /it is inside native code/);
  t.regex(r.stderr, /green thread "shell" came back to JavaScript from the native call here:\n(.*\n)* {4}at shell \(/);
  const [report] = reports(r.stdout);
  t.is(report.thread, 'shell');
  t.true(report.inNativeCode);
  t.regex(report.stack, /at execFileSync \(node:child_process[^]*at shell \(/);
});

test('a program that blocks cooperatively, a second in short sleeps, is not reported', async (t) => {
  // 500 ms here: 10 ms stretches stay far below it even on a loaded machine.
  // Started once the watcher watches: loading the modules before is a stretch
  // of its own, which a machine loaded enough can stretch past the threshold.
  const r = await run(['monitor.js', 'cooperative', 'api', '500']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'done\n');
  t.is(r.stderr, '');
});

test('threads left blocked when the event loop runs dry are listed', async (t) => {
  const r = await run(['monitor.js', 'stuck', 'api']);
  t.is(r.code, 0, r.stderr);
  t.is(
    r.stderr,
    'greenpatch monitor: the event loop has nothing left to run, and 1 green thread is still blocked on what can never happen:\n' +
      '  "waiter" in Event.wait()\n',
  );
  t.deepEqual(reports(r.stdout), [{ kind: 'stuck', threads: [{ name: 'waiter', blockedIn: 'Event.wait()' }] }]);
});

test('the main green thread blocked forever is listed too, beside its exit status 13', async (t) => {
  const r = await run(['--require', 'greenpatch/register', 'blocked-forever.js', 'event'], { GREENPATCH_MONITOR: '200' });
  t.is(r.code, 13);
  t.regex(r.stderr, /the main green thread is blocked in Event\.wait\(\)/);
  t.regex(r.stderr, /still blocked on what can never happen:\n {2}"main" in Event\.wait\(\)\n/);
});

test('bad options and a bad GREENPATCH_MONITOR are refused with codes', async (t) => {
  for (const maxBlockingTime of [0, -5, NaN, Infinity, '100']) {
    t.throws(() => startMonitor({ maxBlockingTime }), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  t.throws(() => startMonitor(null), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => startMonitor({ onReport: 5 }), { code: 'ERR_INVALID_ARG_TYPE' });
  t.false(monitorRunning());
  const r = await run(['--require', 'greenpatch/register', 'quiet.js'], { GREENPATCH_MONITOR: 'soon' });
  t.not(r.code, 0);
  t.regex(r.stderr, /ERR_GREENPATCH_INVALID_ENV|GREENPATCH_MONITOR must be a threshold in milliseconds/);
});

test('startMonitor and stopMonitor in-process', async (t) => {
  const first = startMonitor({ maxBlockingTime: 1000, stderr: false });
  t.true(monitorRunning());
  await startMonitor({ maxBlockingTime: 500, stderr: false }); // restarts, and watches once resolved
  await first; // the first watcher was stopped: its promise still resolves
  t.true(monitorRunning());
  stopMonitor();
  t.false(monitorRunning());
  stopMonitor(); // idempotent
  t.false(monitorRunning());
});

test('only the main thread can be watched', async (t) => {
  const code = await new Promise((resolve, reject) => {
    const w = new Worker(
      `const { parentPort } = require('node:worker_threads');
       try { require(${JSON.stringify(require.resolve('greenpatch'))}).startMonitor(); parentPort.postMessage('started'); }
       catch (e) { parentPort.postMessage(e.code); }`,
      { eval: true },
    );
    w.once('message', resolve);
    w.once('error', reject);
  });
  t.is(code, 'ERR_GREENPATCH_MONITOR_MAIN_THREAD');
});
