// A switch leaves Node's async context (AsyncLocalStorage, async_hooks) as it was.
import test from 'ava';
import { AsyncLocalStorage, createHook, executionAsyncId, triggerAsyncId } from 'node:async_hooks';
import Fiber from '@greenpatch/fibers';

test('the resumer keeps its AsyncLocalStorage store across run()', (t) => {
  const als = new AsyncLocalStorage();
  als.run('outer', () => {
    const fiber = Fiber(() => {
      t.is(als.getStore(), 'outer'); // a fiber runs in its resumer's context
      Fiber.yield();
      return als.getStore();
    });
    fiber.run();
    t.is(als.getStore(), 'outer');
    t.is(fiber.run(), 'outer');
    t.is(als.getStore(), 'outer');
  });
  t.is(als.getStore(), undefined);
});

// Engine-carried context (Node 24+, or 22 with async context frames): a
// fiber that yields with greenpatch's yieldIdle runs on in its next
// resumer's store, one that yields with Fiber.yield() in its own.
(!('_enable' in AsyncLocalStorage.prototype) ? test : test.skip)('a fiber that yielded idle runs on in its resumer\'s store; Fiber.yield() keeps its own', (t) => {
  const yieldIdle = Fiber[Symbol.for('@greenpatch/fibers.yieldIdle')];
  t.is(typeof yieldIdle, 'function');
  const als = new AsyncLocalStorage();
  const seen = [];
  const fiber = Fiber(() => {
    als.enterWith('inside');
    seen.push(yieldIdle('idle'));
    seen.push(als.getStore());
    Fiber.yield();
    seen.push(als.getStore());
    als.enterWith('again');
    Fiber.yield();
    seen.push(als.getStore());
  });
  t.is(als.run('first', () => fiber.run()), 'idle');
  als.run('second', () => fiber.run('work')); // adopts 'second'
  als.run('third', () => fiber.run()); // keeps 'second'
  t.is(als.getStore(), undefined);
  als.run('fourth', () => fiber.run()); // keeps its own 'again'
  t.deepEqual(seen, ['work', 'second', 'second', 'again']);
  t.is(als.getStore(), undefined);
});

test('a store set and finished inside a fiber does not leak out', (t) => {
  const als = new AsyncLocalStorage();
  const fiber = Fiber(() => {
    als.run('inner', () => {
      t.is(als.getStore(), 'inner');
    });
    Fiber.yield();
    t.is(als.getStore(), undefined);
  });
  fiber.run();
  t.is(als.getStore(), undefined);
  fiber.run();
});

test('execution and trigger async ids are unchanged by switches', (t) => {
  const eid = executionAsyncId();
  const tid = triggerAsyncId();
  const fiber = Fiber(() => {
    t.is(executionAsyncId(), eid);
    Fiber.yield();
    t.is(executionAsyncId(), eid);
  });
  fiber.run();
  t.is(executionAsyncId(), eid);
  t.is(triggerAsyncId(), tid);
  fiber.run();
  t.is(executionAsyncId(), eid);
});

test('async_hooks see promises made inside fibers, and their reactions run', async (t) => {
  const inits = new Set();
  const hook = createHook({
    init(id, type) {
      if (type === 'PROMISE') inits.add(id);
    },
  }).enable();
  let resolveIt;
  const fiber = Fiber(() => {
    const p = new Promise((resolve) => {
      resolveIt = resolve;
    });
    Fiber.yield(p);
    return p.then((v) => v * 2);
  });
  const p = fiber.run();
  const doubled = fiber.run();
  resolveIt(21);
  t.is(await p, 21);
  t.is(await doubled, 42);
  hook.disable();
  t.true(inits.size >= 2);
});

test('an async function started in a fiber finishes after the fiber yields', async (t) => {
  const als = new AsyncLocalStorage();
  let pending;
  const fiber = Fiber(() => {
    pending = als.run('in async', async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return als.getStore();
    });
    Fiber.yield();
  });
  fiber.run();
  t.is(await pending, 'in async');
  fiber.reset();
});

// Node 24+ keeps AsyncLocalStorage in V8's continuation-preserved embedder
// data, which the engine carries with each fiber; Node 20/22 keep it in
// async_hooks state, which follows the resumer (greenpatch's hub arms a
// promise reaction there instead).
const carried = !('_enable' in AsyncLocalStorage.prototype);

test(`a fiber resumed from another context ${carried ? 'keeps its own store' : "sees its resumer's store"}; the resumer keeps its own`, (t) => {
  const als = new AsyncLocalStorage();
  const fiber = Fiber(() => {
    const seen = [];
    als.run('fiber', () => {
      seen.push(als.getStore());
      Fiber.yield();
      seen.push(als.getStore());
      Fiber.yield();
      seen.push(als.getStore());
    });
    return seen;
  });
  als.run('first resumer', () => fiber.run());
  t.is(als.getStore(), undefined);
  als.run('second resumer', () => {
    fiber.run();
    t.is(als.getStore(), 'second resumer');
  });
  const seen = fiber.run();
  if (carried) {
    t.deepEqual(seen, ['fiber', 'fiber', 'fiber']);
    t.is(als.getStore(), undefined);
  } else {
    // The store lives on the async resource the fiber shares with whoever
    // resumes it; its run() leaving puts back what it found on entry.
    t.deepEqual(seen, ['fiber', 'second resumer', undefined]);
  }
});
