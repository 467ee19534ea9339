// Debugging green threads and fibers over the inspector protocol: breakpoints
// in green threads, stepping over calls that switch away (sleep, queue.get,
// Fiber.yield), stepping out of a fiber, and many steps across many switches.
// Each child runs under --inspect-brk; it must finish with exit code 0.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect, within } from './helpers/inspector.mjs';

test.beforeEach((t) => t.timeout(60_000));

/** 1-based line of the fixture line carrying `marker`. */
function lineOf(fixture, marker) {
  const lines = readFileSync(fileURLToPath(new URL(`fixtures/${fixture}`, import.meta.url)), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(`// ${marker}`));
  if (index < 0) throw new Error(`no ${marker} in ${fixture}`);
  return index + 1;
}

/**
 * Runs `fixture` with breakpoints on the `breakpoints` markers; at each pause
 * records where it stopped (the marker of that fixture line, else
 * `fn@file`), then sends the next of `actions` (Debugger.<action>). Returns
 * the recorded stops and how the child ended.
 */
async function drive(t, fixture, breakpoints, actions, env = {}) {
  const session = await inspect(fixture, env);
  const markers = new Map();
  const source = readFileSync(fileURLToPath(new URL(`fixtures/${fixture}`, import.meta.url)), 'utf8').split('\n');
  source.forEach((l, i) => {
    const m = /\/\/ ([A-Z0-9-]+)$/.exec(l);
    if (m) markers.set(i + 1, m[1]);
  });
  const stops = [];
  try {
    await session.send('Debugger.enable');
    const urlRegex = `${fixture.replace(/\./g, '\\.')}$`;
    for (const marker of breakpoints) {
      await session.send('Debugger.setBreakpointByUrl', { lineNumber: lineOf(fixture, marker) - 1, urlRegex });
    }
    const started = session.nextPause();
    await session.send('Runtime.runIfWaitingForDebugger');
    await within(20_000, 'the pause at the start', started);
    await session.send('Debugger.resume');
    const record = (pause) => {
      const { line, url, fn } = session.where(pause);
      stops.push(url.endsWith(fixture) && markers.has(line) ? markers.get(line) : `${fn}@${url.split('/').pop()}`);
    };
    for (const action of actions) {
      record(await within(20_000, `a pause (after ${stops.join(' → ') || 'start'})`, session.nextPause()));
      await session.send(`Debugger.${action}`);
    }
    // Either the program finishes, or it pauses once more than expected
    // (recorded, so that the test fails saying where).
    const extra = await within(20_000, `the end (after ${stops.join(' → ')})`, Promise.race([session.done, session.nextPause()]));
    if (extra) {
      record(extra);
      await session.send('Debugger.resume');
    }
    session.detach();
    const ended = await within(20_000, `the child to exit (after ${stops.join(' → ')})`, session.exited);
    return { stops, ...ended };
  } finally {
    session.close();
  }
}

test('greenpatch: step over sleep() and queue.get() stays in the stepped green thread; other threads hit their breakpoints', async (t) => {
  const run = await drive(t, 'debug-green.mjs', ['BREAK-A', 'BREAK-B'], [
    'stepOver', // at BREAK-A
    'stepOver', // over sleep(): the hub runs other threads meanwhile
    'stepOver',
    'stepOver',
    'stepOver', // over queue.get(): thread B runs to its breakpoint first
    'resume', // at BREAK-B; A's step is still pending for A
    'resume', // at AFTER-GET, once A has its value
  ]);
  t.deepEqual(run.stops, ['BREAK-A', 'STEP-SLEEP', 'AFTER-SLEEP', 'GO', 'STEP-GET', 'BREAK-B', 'AFTER-GET']);
  t.is(run.signal, null);
  t.is(run.code, 0);
  t.is(run.stdout, 'b 2,a 2 x\n');
});

test('fibers: step over Fiber.yield() stops in the same fiber when it is run again; stepping out of it continues', async (t) => {
  const run = await drive(t, 'debug-fibers.js', ['BODY-YIELD'], [
    'stepOver', // over Fiber.yield(): main runs until fiber.run() resumes it
    'stepOver',
    'stepOut', // out of the fiber's function: nothing to step out to, so it continues
  ]);
  t.deepEqual(run.stops, ['BODY-YIELD', 'BODY-AFTER', 'BODY-RETURN']);
  t.is(run.code, 0);
  t.is(run.stdout, '1,12 2 24\n');
});

// The file the package's Fiber functions are in: fiber.js as tsc writes it,
// the bundle of its start-up modules once built (scripts/bundle-dist.mjs).
const fibersDist = dirname(createRequire(import.meta.url).resolve('@greenpatch/fibers'));
const fiberFile = existsSync(join(fibersDist, 'runtime-start.js')) ? 'runtime-start.js' : 'fiber.js';

test('fibers: step into fiber.run() and Fiber.yield() enters the package function and steps on in the same flow', async (t) => {
  const run = await drive(t, 'debug-fibers.js', ['MAIN-RUN1', 'BODY-FIRST', 'MAIN-RUN2'], [
    'stepInto', // at MAIN-RUN1: into the package's run()
    'stepOut', // back out: the fiber's breakpoint is hit on the way
    'stepOver', // BODY-FIRST
    'stepInto', // into Fiber.yield
    'stepOut', // out of yield_: main goes on to its breakpoint
    'resume', // MAIN-RUN2
    'resume', // the fiber's step out of yield_ lands back in the fiber
  ]);
  t.deepEqual(run.stops, [
    'MAIN-RUN1',
    `run@${fiberFile}`,
    'BODY-FIRST',
    'BODY-YIELD',
    `yield_@${fiberFile}`,
    'MAIN-RUN2',
    'BODY-AFTER',
  ]);
  t.is(run.code, 0);
  t.is(run.stdout, '1,12 2 24\n');
});

test('stress: 200 steps of every kind across 1,000 switches of 20 green threads, then run to the end', async (t) => {
  const session = await inspect('debug-stress.mjs');
  try {
    await session.send('Debugger.enable');
    const { breakpointId } = await session.send('Debugger.setBreakpointByUrl', {
      lineNumber: lineOf('debug-stress.mjs', 'STRESS-BREAK') - 1,
      urlRegex: 'debug-stress\\.mjs$',
    });
    const started = session.nextPause();
    await session.send('Runtime.runIfWaitingForDebugger');
    await within(20_000, 'the pause at the start', started);
    await session.send('Debugger.resume');
    const kinds = ['stepOver', 'stepInto', 'stepOver', 'stepOut', 'stepOver', 'resume'];
    const where = new Set();
    for (let i = 0; i < 200; i++) {
      const pause = await within(20_000, `pause ${i}`, session.nextPause());
      where.add(session.where(pause).url.split('/').pop());
      await session.send(`Debugger.${kinds[i % kinds.length]}`);
    }
    await session.send('Debugger.removeBreakpoint', { breakpointId });
    // Steps still pending in suspended threads stop there once more each at most.
    let extra = 0;
    for (;;) {
      const next = await within(20_000, 'the end', Promise.race([session.done, session.nextPause()]));
      if (!next) break;
      extra++;
      await session.send('Debugger.resume');
    }
    session.detach();
    const ended = await within(20_000, 'the child to exit', session.exited);
    t.true(where.has('debug-stress.mjs'));
    t.true(extra <= 20, `${extra} pauses after the breakpoint was removed`);
    t.is(ended.signal, null);
    t.is(ended.code, 0);
    t.is(ended.stdout, '1000\n');
  } finally {
    session.close();
  }
});
