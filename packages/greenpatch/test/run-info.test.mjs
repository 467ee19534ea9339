// Run info: runInfo() lists every live green thread with its state, the
// blocking call it is in and since when, its stack there (the caller's
// file:line first), its spawner and pool; formatRunInfo() as text;
// GREENPATCH_DUMP_ON prints it on a signal; util.inspect(thread) shows the
// same public state, not internal fields; default names.
import test from 'ava';
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import {
  dumpRunInfoOn,
  Event,
  formatRunInfo,
  getCurrent,
  GreenPool,
  GreenThreadExit,
  killAll,
  Queue,
  runInfo,
  sleep,
  spawn,
  spawnAfter,
  spawnN,
} from 'greenpatch';
import { green, turns } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(90_000));

const thisFile = fileURLToPath(import.meta.url);
const source = readFileSync(thisFile, 'utf8').split('\n');
/** The 1-based line of this file that carries `// blocking line: <tag>`. */
const lineOf = (file, lines, tag) => {
  const i = lines.findIndex((l) => l.includes(`// blocking line: ${tag}`));
  if (i < 0) throw new Error(`no line tagged ${tag} in ${file}`);
  return i + 1;
};
// Frames of an ES module name its file:// URL.
const here = (tag) => `${import.meta.url}:${lineOf(thisFile, source, tag)}:`;

/** The first frame of a run-info stack. */
const firstFrame = (stack) => stack?.split('\n')[0] ?? '';

function sleeper() {
  sleep(600_000); // blocking line: sleep
}
function eventWaiter(event) {
  event.wait(); // blocking line: event
}
function consumer(queue) {
  return queue.get(); // blocking line: queue
}
function quick(i) {
  return i;
}
function late() {
  return 'never';
}

test.serial('runInfo() over 1,000 threads in mixed states: state, blockedIn, since, stack, spawner, pool', async (t) => {
  const started = Date.now();
  const event = new Event();
  const readyEvent = new Event();
  const queue = new Queue();
  const pool = new GreenPool(250);
  const groups = { sleep: [], event: [], queue: [], finished: [], unstarted: [], ready: [], hub: [] };
  const release = new Event();
  let spawner;
  let seenInside;
  spawner = spawn(function spawnerThread() {
    for (let i = 0; i < 200; i++) groups.sleep.push(spawn(sleeper));
    for (let i = 0; i < 200; i++) groups.event.push(pool.spawn(eventWaiter, event));
    for (let i = 0; i < 200; i++) groups.queue.push(spawn(consumer, queue));
    for (let i = 0; i < 200; i++) groups.finished.push(spawn(quick, i));
    for (let i = 0; i < 200; i++) groups.unstarted.push(spawnAfter(600_000, late));
    for (let i = 0; i < 100; i++) groups.ready.push(spawn(eventWaiter, readyEvent));
    sleep(0);
    sleep(0);
    // The ready group's Event.wait() has completed; their resumption is
    // queued behind this thread, which lists them before it yields.
    readyEvent.set();
    seenInside = runInfo();
    release.wait();
  });
  for (let i = 0; i < 50; i++) groups.hub.push(spawn(sleeper));
  await turns(6);
  t.true(seenInside !== undefined, 'the spawner listed the threads');
  const byThread = new Map(seenInside.map((info) => [info.thread, info]));
  const mine = [spawner, ...Object.values(groups).flat()];
  const listed = mine.filter((th) => byThread.has(th));
  // Everything but the finished ones, each once.
  t.is(listed.length, 1 + 200 * 4 + 100 + 50);
  t.is(new Set(seenInside.map((i) => i.thread)).size, seenInside.length);
  for (const th of groups.finished) t.false(byThread.has(th));

  const check = (group, expect) => {
    for (const th of group) {
      const info = byThread.get(th);
      t.is(info.state, expect.state, expect.label);
      t.is(info.blockedIn, expect.blockedIn, expect.label);
      t.is(info.name, expect.name, expect.label);
      t.is(info.id, th.id);
      t.is(info.pool, expect.pool, expect.label);
      if (expect.spawner === undefined) t.is(info.spawnedBy, undefined, expect.label);
      else t.deepEqual(info.spawnedBy, { id: spawner.id, name: 'spawnerThread', thread: spawner }, expect.label);
      if (expect.blockedIn === undefined) {
        t.is(info.blockedSince, undefined);
      } else {
        t.true(info.blockedSince >= started && info.blockedSince <= Date.now(), expect.label);
      }
      if (expect.at === undefined) t.is(info.stack, undefined, expect.label);
      else t.true(firstFrame(info.stack).includes(here(expect.at)), `${expect.label}: ${firstFrame(info.stack)}`);
    }
  };
  check(groups.sleep, { label: 'sleep', state: 'blocked', blockedIn: 'sleep()', name: 'sleeper', spawner, at: 'sleep' });
  check(groups.event, { label: 'event', state: 'blocked', blockedIn: 'Event.wait()', name: 'eventWaiter', spawner, pool, at: 'event' });
  check(groups.queue, { label: 'queue', state: 'blocked', blockedIn: 'Queue.get()', name: 'consumer', spawner, at: 'queue' });
  check(groups.ready, { label: 'ready', state: 'ready', blockedIn: 'Event.wait()', name: 'eventWaiter', spawner, at: 'event' });
  check(groups.unstarted, { label: 'unstarted', state: 'unstarted', blockedIn: undefined, name: 'late', spawner });
  check(groups.hub, { label: 'hub', state: 'blocked', blockedIn: 'sleep()', name: 'sleeper', at: 'sleep' });
  // The caller's own thread: running, its stack at the runInfo() call.
  const self = byThread.get(spawner);
  t.is(self.state, 'running');
  t.is(self.blockedIn, undefined);
  t.true(firstFrame(self.stack).includes(`${import.meta.url}:${source.findIndex((l) => l.includes('seenInside = runInfo()')) + 1}:`));

  // From the hub, once the spawner has blocked: it is listed as blocked;
  // the ready ones have resumed and returned.
  const fromHub = new Map(runInfo().map((info) => [info.thread, info]));
  t.is(fromHub.get(spawner).state, 'blocked');
  t.is(fromHub.get(spawner).blockedIn, 'Event.wait()');
  for (const th of groups.ready) t.false(fromHub.has(th), 'finished once resumed');
  // Without stacks, nothing is switched into.
  for (const info of runInfo({ stacks: false })) t.is(info.stack, undefined);

  release.set();
  await turns(3);
  // Once the spawner has finished, its children still name it.
  const orphan = runInfo().find((info) => info.thread === groups.sleep[0]);
  t.deepEqual(orphan.spawnedBy, { id: spawner.id, name: 'spawnerThread', thread: undefined });
  killAll(mine);
  await turns(4);
  for (const th of mine) t.true(th.dead);
  const after = new Set(runInfo().map((i) => i.thread));
  t.false(mine.some((th) => after.has(th)), 'finished threads leave the registry');
});

test.serial('the threads keep running normally after their stacks were read', async (t) => {
  const queue = new Queue();
  const got = [];
  const threads = [];
  for (let i = 0; i < 20; i++) {
    threads.push(
      spawn(function reader() {
        try {
          for (;;) got.push(consumer(queue));
        } finally {
          got.push('unwound');
        }
      }),
    );
  }
  await turns(2);
  for (let round = 0; round < 3; round++) {
    t.is(runInfo().filter((i) => threads.includes(i.thread) && i.stack !== undefined).length, 20);
    await green(() => {
      for (let i = 0; i < 20; i++) queue.put(round * 100 + i);
    });
    await turns(3);
  }
  t.deepEqual(got.sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => Math.floor(i / 20) * 100 + (i % 20)));
  killAll(threads);
  await turns(3);
  t.is(got.filter((g) => g === 'unwound').length, 20);
});

test.serial('formatRunInfo() names each thread, its state, spawner, pool and the blocking line', async (t) => {
  const queue = new Queue();
  const pool = new GreenPool(3);
  const a = spawn(sleeper);
  a.name = 'napper';
  const b = pool.spawn(consumer, queue);
  const c = spawnAfter(600_000, late);
  await turns(3);
  const text = formatRunInfo();
  t.regex(text, new RegExp(`^greenpatch run info: pid ${process.pid}, \\d{4}-\\d\\d-\\d\\dT[^,]+, called on the hub\\n`));
  t.regex(text, /^\d+ live green threads?: \d+ running, \d+ blocked, \d+ ready, \d+ unstarted$/m);
  t.regex(text, new RegExp(`^#${a.id} napper: blocked in sleep\\(\\) for \\d+ ms$`, 'm'));
  t.regex(text, new RegExp(`^#${b.id} consumer: blocked in Queue\\.get\\(\\) for \\d+ ms\\n  spawned on the hub, in GreenPool#\\d+ \\(size 3, 1 running\\)\\n    at consumer \\(${import.meta.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${lineOf(thisFile, source, 'queue')}:`, 'm'));
  t.regex(text, new RegExp(`^#${c.id} late: not started yet\\n  spawned on the hub$`, 'm'));
  t.true(text.includes(here('sleep')));
  killAll([a, b, c]);
  await turns(3);
  t.false(formatRunInfo({ stacks: false }).includes(`#${a.id} napper`));
});

test('default names: the function name, GreenThread-<id> for an anonymous one; id increases', async (t) => {
  const named = spawn(function fetchPage() {});
  const arrow = spawn(() => {});
  const assigned = (() => {
    const parseBody = () => {};
    return spawn(parseBody);
  })();
  t.is(named.name, 'fetchPage');
  t.is(arrow.name, `GreenThread-${arrow.id}`);
  t.is(assigned.name, 'parseBody');
  t.true(arrow.id > named.id && assigned.id > arrow.id);
  named.name = 'renamed';
  t.is(named.name, 'renamed');
  t.is(String(named), 'GreenThread(renamed)');
  await turns(2);
});

test('util.inspect(thread) shows the public state, not internal fields', async (t) => {
  const pool = new GreenPool(2);
  const blocked = pool.spawn(sleeper);
  blocked.name = 'inspected';
  const done = spawn(function answer() {
    return 42;
  });
  const failed = spawn(function boom() {
    sleep(600_000);
  });
  let nested;
  const parent = spawn(function parentThread() {
    nested = spawn(sleeper);
  });
  await turns(3);
  const text = inspect(blocked);
  t.regex(text, /^GreenThread \{/);
  t.regex(text, new RegExp(`id: ${blocked.id}`));
  t.regex(text, /name: 'inspected'/);
  t.regex(text, /state: 'blocked'/);
  t.regex(text, /blockedIn: 'sleep\(\)'/);
  t.regex(text, /blockedFor: '\d+ ms'/);
  t.regex(text, /spawnedBy: null/);
  t.regex(text, /pool: 'GreenPool \(size 2, 1 running\)'/);
  for (const internal of ['fiber', 'waker', 'resumeValue', 'kick', 'liveNext', 'givenName', 'serial', 'undo']) {
    t.false(new RegExp(`\\b${internal}:`).test(text), internal);
  }
  t.regex(inspect(done), /state: 'dead',\s+value: 42/);
  failed.kill();
  await turns(2);
  t.regex(inspect(failed), /state: 'dead',\s+exception: GreenThreadExit/);
  t.regex(inspect(nested), new RegExp(`spawnedBy: '#${parent.id} parentThread'`));
  const unstarted = spawnAfter(600_000, late);
  t.regex(inspect(unstarted), /state: 'unstarted'/);
  unstarted.cancel();
  // Nested deeper than the depth: one line.
  t.is(inspect({ a: { t: blocked } }, { depth: 1 }), `{ a: { t: [GreenThread #${blocked.id} inspected] } }`);
  // Inside the thread itself: running.
  t.regex(await green(() => inspect(getCurrent())), /state: 'running'/);
  killAll([blocked, nested]);
  await turns(2);
  t.true(blocked.exception instanceof GreenThreadExit);
});

test('spawnN threads and finished threads: listed while live, gone after', async (t) => {
  const event = new Event();
  let th;
  spawnN(function detachedWaiter() {
    th = getCurrent();
    event.wait();
  });
  await turns(2);
  const info = runInfo().find((i) => i.thread === th);
  t.is(info.name, 'detachedWaiter');
  t.is(info.blockedIn, 'Event.wait()');
  event.set();
  await turns(2);
  t.false(runInfo().some((i) => i.thread === th));
});

test('runInfo() rejects options that are not an object; dumpRunInfoOn() names that are not signals it may take', (t) => {
  t.is(t.throws(() => runInfo(null)).code, 'ERR_INVALID_ARG_TYPE');
  t.is(t.throws(() => runInfo('x')).code, 'ERR_INVALID_ARG_TYPE');
  for (const bad of ['SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGNOPE', '', 42, undefined]) {
    t.is(t.throws(() => dumpRunInfoOn(bad)).code, 'ERR_GREENPATCH_INVALID_DUMP_SIGNAL', String(bad));
  }
});

// --- GREENPATCH_DUMP_ON, in a child process ---

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixtureFile = `${fixtures}dump-on-signal.js`;
const fixtureLines = readFileSync(fixtureFile, 'utf8').split('\n');

/** Runs the fixture, sends `signal` once it says ready, closes its stdin once stderr has the dump. */
function runWithDump(args, env, signal) {
  return new Promise((resolve, reject) => {
    const child = spawnChild(process.execPath, args, { cwd: fixtures, env: { ...process.env, ...env } });
    const guard = setTimeout(() => child.kill('SIGKILL'), 75_000);
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      if (!signalled && stdout.includes('ready\n')) {
        signalled = true;
        child.kill(signal);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
      // The child writes the dump to its stderr pipe synchronously (as Node
      // does on Linux) before it can see its stdin end.
      if (stderr.includes('greenpatch run info')) child.stdin.end();
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(guard);
      resolve({ code, signal: sig, stdout, stderr });
    });
  });
}

for (const mode of ['register', 'patchAll']) {
  test(`GREENPATCH_DUMP_ON=SIGUSR2 prints run info on the signal (${mode})`, async (t) => {
    const args = mode === 'register' ? ['--require', 'greenpatch/register', fixtureFile, mode] : [fixtureFile, mode];
    const r = await runWithDump(args, { GREENPATCH_DUMP_ON: 'SIGUSR2' }, 'SIGUSR2');
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'ready\n');
    t.regex(r.stderr, /^greenpatch run info: pid \d+, [^\n]+, called on the hub\n\d+ live green threads: /);
    const at = (tag) => `${fixtureFile}:${lineOf(fixtureFile, fixtureLines, tag)}:`;
    t.regex(r.stderr, /#\d+ fixtureSleeper: blocked in sleep\(\) for (\d+ ms|\d+\.\d\d s|\d+ min \d+ s)\n/);
    t.regex(r.stderr, /#\d+ fixtureConsumer: blocked in Queue\.get\(\) for (\d+ ms|\d+\.\d\d s|\d+ min \d+ s)\n/);
    t.true(r.stderr.includes(`at fixtureSleeper (${at('sleeper')}`));
    t.true(r.stderr.includes(`at fixtureConsumer (${at('consumer')}`));
    t.true(r.stderr.includes(`at waitForStdinEnd (${at('main')}`));
    if (mode === 'register') t.regex(r.stderr, /#\d+ main: blocked in Event\.wait\(\)/);
    else t.regex(r.stderr, /#\d+ fixtureMain: blocked in Event\.wait\(\)/);
  });
}

test('without GREENPATCH_DUMP_ON nothing listens to SIGUSR2; a bad value is a coded error', async (t) => {
  const plain = await runWithDump([fixtureFile, 'count'], { GREENPATCH_DUMP_ON: '' }, 'SIGUSR2');
  t.is(plain.stdout, '0\n');
  t.is(plain.stderr, '');
  const set = await runWithDump([fixtureFile, 'count'], { GREENPATCH_DUMP_ON: 'usr2' }, 'SIGUSR2');
  t.is(set.stdout, '1\n');
  const bad = await runWithDump(['--require', 'greenpatch/register', fixtureFile, 'register'], { GREENPATCH_DUMP_ON: 'SIGKILL' }, 'SIGUSR2');
  t.not(bad.code, 0);
  t.regex(bad.stderr, /ERR_GREENPATCH_INVALID_DUMP_SIGNAL/);
  t.regex(bad.stderr, /GREENPATCH_DUMP_ON=SIGKILL is not a signal/);
});

// --- The worked example of docs/debugging.md ---

test('the run-info example of docs/debugging.md prints what it says', (t) => {
  const doc = readFileSync(new URL('../../../docs/debugging.md', import.meta.url), 'utf8');
  const part = doc.slice(doc.indexOf('<!-- run-info:start -->'), doc.indexOf('<!-- run-info:end -->'));
  const code = part.match(/```js\n([\s\S]*?)```/)?.[1];
  t.truthy(code, 'the example is there');
  const expected = [...code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1].trim());
  t.true(expected.length >= 3);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    timeout: 90_000,
  });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.deepEqual(r.stdout.trim().split('\n'), expected);
});
