// Stress on every native path: GC with many suspended stacks, long switch
// runs, exceptions across switches, stack overflow inside fibers.
import test from 'ava';
import v8 from 'node:v8';
import vm from 'node:vm';
import Fiber from '@greenpatch/fibers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

test.serial('10,000 suspended fibers allocating while the GC runs keep their data intact', (t) => {
  const N = 10_000;
  const fibers = [];
  for (let i = 0; i < N; i++) {
    const fiber = Fiber((id) => {
      // Objects reachable only from this fiber's stack.
      let own = [];
      for (let round = 0; ; round++) {
        own.push({ id, round, text: `f${id}-r${round}`, list: [id, round] });
        if (own.length > 8) own = own.slice(4);
        const sum = own.reduce((acc, o) => acc + o.list[0] + o.list[1], 0);
        const expected = own.reduce((acc, o) => acc + id + o.round, 0);
        if (sum !== expected || own.some((o) => o.text !== `f${o.id}-r${o.round}` || o.id !== id)) {
          throw new Error(`fiber ${id} saw corrupted data`);
        }
        Fiber.yield(round);
      }
    });
    fiber.run(i);
    fibers.push(fiber);
  }
  for (let round = 1; round <= 5; round++) {
    for (let i = 0; i < N; i++) {
      if (fibers[i].run() !== round) throw new Error(`fiber ${i} lost its place`);
      if (i % 2500 === 0) gc();
    }
    gc();
  }
  // Collection from inside a fiber, with all the others suspended.
  Fiber(() => gc()).run();
  t.pass(`${N} fibers x 5 rounds with full collections`);
  for (const f of fibers) f.reset();
});

test.serial('a million switches', (t) => {
  let count = 0;
  const fiber = Fiber(() => {
    for (;;) count += Fiber.yield(1);
  });
  fiber.run();
  let returned = 0;
  for (let i = 0; i < 500_000; i++) returned += fiber.run(1);
  t.is(count, 500_000);
  t.is(returned, 500_000);
  fiber.reset();
});

test('exceptions across switches, at every depth', (t) => {
  // grandchild throws through child's run() into parent's, each with finally.
  const log = [];
  const grandchild = Fiber(() => {
    try {
      Fiber.yield();
      throw new RangeError('deep');
    } finally {
      log.push('grandchild finally');
    }
  });
  const child = Fiber(() => {
    try {
      grandchild.run();
      Fiber.yield();
      grandchild.run();
    } finally {
      log.push('child finally');
    }
  });
  child.run();
  const error = t.throws(() => child.run(), { instanceOf: RangeError, message: 'deep' });
  t.truthy(error.stack);
  t.deepEqual(log, ['grandchild finally', 'child finally']);
  t.false(child.started || grandchild.started);

  // Many fibers throwing in and out repeatedly.
  const fibers = Array.from({ length: 200 }, (_, i) =>
    Fiber(() => {
      let caught = 0;
      for (;;) {
        try {
          Fiber.yield(caught);
        } catch (e) {
          if (e instanceof Fiber.ResetError) throw e;
          if (e.index !== i) throw new Error('wrong error delivered');
          caught++;
        }
      }
    }),
  );
  for (const f of fibers) f.run();
  for (let round = 0; round < 20; round++) {
    fibers.forEach((f, i) => {
      const e = new Error('in');
      e.index = i;
      if (f.throwInto(e) !== round + 1) throw new Error('lost an exception');
    });
  }
  t.pass();
  for (const f of fibers) f.reset();
});

function maxDepth() {
  let depth = 0;
  const recurse = () => {
    depth++;
    recurse();
  };
  try {
    recurse();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  return depth;
}

test('deep recursion in many fibers raises RangeError, and the thread keeps its own limit', (t) => {
  const before = maxDepth();
  const fibers = Array.from({ length: 50 }, () =>
    Fiber(() => {
      const first = maxDepth();
      Fiber.yield(first);
      // Overflow again after a switch, then once more uncaught.
      const second = maxDepth();
      Fiber.yield(second);
      const recurse = () => recurse();
      recurse();
    }),
  );
  // A fiber recurses about as deep as the thread: V8 gives it the same area.
  for (const f of fibers) t.true(f.run() > before * 0.5);
  for (const f of fibers) t.true(f.run() > before * 0.5);
  for (const f of fibers) t.throws(() => f.run(), { instanceOf: RangeError });
  const after = maxDepth();
  // The main stack's limit is restored: same depth as before, within JIT noise.
  t.true(after > before * 0.5, `main-thread depth ${before} before, ${after} after`);
  t.true(after > 1000);
});

test('recursion through native builtin frames inside a fiber', (t) => {
  // Each level passes through a C++ or builtin frame before calling back.
  const viaMap = (n) => [n + 1].map(viaMap);
  const viaReviver = () => JSON.parse('[1]', viaReviver);
  t.throws(() => Fiber(() => viaMap(0)).run(), { instanceOf: RangeError });
  t.throws(() => Fiber(() => viaReviver()).run(), { instanceOf: RangeError });
});

test.serial('fibers created and finished in bulk reuse pooled stacks', (t) => {
  const before = Fiber.fibersCreated;
  for (let i = 0; i < 20_000; i++) {
    const f = Fiber((x) => Fiber.yield(x) + 1);
    f.run(i);
    if (f.run(i) !== i + 1) throw new Error('bad result');
  }
  t.is(Fiber.fibersCreated - before, 20_000);
});
