// diagnostics_channel events of green threads: spawn, block, resume, exit
// and kill, in order, with their documented messages, published where the
// docs say (block and resume on the thread's own stack, exit on the hub).
import test from 'ava';
import diagnosticsChannel from 'node:diagnostics_channel';
import { Event, getCurrent, GreenThreadExit, sleep, spawn, threadChannels } from 'greenpatch';
import { green, turns } from './helpers/green.mjs';

test.beforeEach((t) => t.timeout(10_000));

test('the channel names are the documented ones', (t) => {
  t.deepEqual({ ...threadChannels }, {
    spawn: 'greenpatch:thread:spawn',
    block: 'greenpatch:thread:block',
    resume: 'greenpatch:thread:resume',
    exit: 'greenpatch:thread:exit',
    kill: 'greenpatch:thread:kill',
  });
  t.true(Object.isFrozen(threadChannels));
});

/**
 * Subscribes to every thread channel; `events` gets [kind, message, current
 * thread, whether the thread had started] for the threads `keep` accepts.
 */
function record(keep) {
  const events = [];
  const handlers = Object.entries(threadChannels).map(([kind, name]) => {
    const handler = (message) => {
      if (keep(message.thread)) events.push([kind, message, getCurrent(), message.thread.started]);
    };
    diagnosticsChannel.subscribe(name, handler);
    return [name, handler];
  });
  const stop = () => {
    for (const [name, handler] of handlers) diagnosticsChannel.unsubscribe(name, handler);
  };
  return { events, stop };
}

test.serial('spawn → block → resume → exit, in order, with their messages', async (t) => {
  let child;
  // By name: spawn is published before spawn() returns the handle.
  const { events, stop } = record((thread) => thread.name === 'napper');
  try {
    let parent;
    const result = await green(() => {
      parent = getCurrent();
      child = spawn(function napper() {
        sleep(5);
        return 7;
      });
      return child.wait();
    });
    t.is(result, 7);
    await turns(2);
    t.deepEqual(
      events.map(([kind]) => kind),
      ['spawn', 'block', 'resume', 'exit'],
    );
    const [spawned, blocked, resumed, exited] = events;
    t.is(spawned[1].thread, child);
    t.is(spawned[1].spawnedBy, parent);
    t.is(spawned[2], parent, 'published where spawn() was called');
    t.false(spawned[3], 'spawn is published before the thread starts');
    t.deepEqual({ ...blocked[1] }, { thread: child, blockedIn: 'sleep()' });
    t.is(blocked[2], child, 'block is published on the thread itself');
    t.is(resumed[1].thread, child);
    t.is(resumed[1].blockedIn, 'sleep()');
    t.is(resumed[1].threw, false);
    t.true(typeof resumed[1].blockedSince === 'number' && resumed[1].blockedSince <= Date.now());
    t.is(resumed[2], child, 'resume is published on the thread itself');
    t.deepEqual({ ...exited[1] }, { thread: child, successful: true, error: undefined });
    t.is(exited[2], undefined, 'exit is published on the hub');
  } finally {
    stop();
  }
});

test.serial('kill: kill → resume (throwing) → exit with the kill error; a thread killed before it starts: spawn → kill → exit', async (t) => {
  const watched = new Set();
  const { events, stop } = record((thread) => watched.has(thread));
  try {
    const event = new Event();
    const victim = spawn(function victim() {
      event.wait();
    });
    watched.add(victim);
    await turns(2);
    let killer;
    const error = new GreenThreadExit('stop');
    await green(() => {
      killer = getCurrent();
      victim.kill(error);
    });
    await turns(2);
    t.true(victim.dead);
    t.deepEqual(
      events.map(([kind]) => kind),
      ['block', 'kill', 'resume', 'exit'],
    );
    const [, killed, resumed, exited] = events;
    t.deepEqual({ ...killed[1] }, { thread: victim, error, killedBy: killer });
    t.is(resumed[1].threw, true);
    t.is(resumed[1].blockedIn, 'Event.wait()');
    t.deepEqual({ ...exited[1] }, { thread: victim, successful: false, error });

    events.length = 0;
    let early;
    const spawnedEarly = record((thread) => thread.name === 'neverRuns');
    try {
      early = spawn(function neverRuns() {});
      early.kill();
      await turns(2);
      early.kill(); // finished: no event
    } finally {
      spawnedEarly.stop();
    }
    t.deepEqual(
      spawnedEarly.events.map(([kind]) => kind),
      ['spawn', 'kill', 'exit'],
    );
    t.false(early.started);
    t.true(spawnedEarly.events[1][1].error instanceof GreenThreadExit);
    t.is(spawnedEarly.events[1][1].killedBy, undefined, 'killed from the hub');
  } finally {
    stop();
  }
});

test.serial('a thread that throws: exit says so; nothing is published once unsubscribed', async (t) => {
  const names = new Set(['failing', 'quiet']);
  const { events, stop } = record((th) => names.has(th.name));
  const failure = new Error('boom');
  const thread = spawn(function failing() {
    throw failure;
  });
  await t.throwsAsync(green(() => thread.wait()), { is: failure });
  t.deepEqual(
    events.map(([kind, message]) => [kind, message.thread, message.successful, message.error]),
    [
      ['spawn', thread, undefined, undefined],
      ['exit', thread, false, failure],
    ],
  );
  stop();
  const quiet = spawn(function quiet() {
    sleep(1);
  });
  await green(() => quiet.wait());
  t.is(events.length, 2);
});
