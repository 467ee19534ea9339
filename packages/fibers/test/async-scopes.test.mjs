// A fiber may suspend inside AsyncResource#runInAsyncScope() and functions
// made by AsyncResource.bind(): the engine carries its async-id stack
// entries across switches, so neither side sees the other's ids or store
// and node's stack checks never fire.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const fibersPath = require.resolve('@greenpatch/fibers');

test('1,000 yields inside runInAsyncScope and bind across 50 fibers, under --force-async-hooks-checks', (t) => {
  const script = `
    const Fiber = require(${JSON.stringify(fibersPath)});
    const { AsyncResource, AsyncLocalStorage, createHook, executionAsyncId, triggerAsyncId } = require('node:async_hooks');
    createHook({ init() {}, before() {}, after() {} }).enable();
    if (!Fiber.carriesAsyncScopes) { console.log('engine does not carry async scopes'); process.exit(1); }
    const als = new AsyncLocalStorage();
    const bad = [];
    let yields = 0;
    const fibers = [];
    for (let i = 0; i < 50; i++) {
      let resource, inner;
      const check = (where, r) => {
        if (executionAsyncId() !== r.asyncId()) bad.push(where + ' id ' + i);
        if (triggerAsyncId() !== r.triggerAsyncId()) bad.push(where + ' trigger ' + i);
        if (als.getStore() !== i) bad.push(where + ' store ' + i);
      };
      fibers.push(Fiber(() => als.run(i, () => {
        // Made inside als.run(): a resource's scope carries the store it was made in.
        resource = new AsyncResource('scope' + i);
        inner = new AsyncResource('inner' + i);
        for (let k = 0; k < 10; k++) {
          resource.runInAsyncScope(() => {
            Fiber.yield(); yields++;
            check('scope', resource);
            // nested scopes, yielding in the inner one
            inner.runInAsyncScope(() => { Fiber.yield(); yields++; check('inner', inner); });
            check('scope again', resource);
          });
          const b = inner.bind(() => { Fiber.yield(); yields++; check('bound', inner); });
          b();
        }
        // Read inside the fiber's own scope: at its base level a fiber shares
        // its resumer's async resource, where Node 20/22 keep the store.
        return resource.runInAsyncScope(() => als.getStore());
      })));
    }
    // The resumer's own view, checked between switches.
    const mine = new AsyncResource('resumer');
    const results = [];
    function round() {
      const before = executionAsyncId();
      let live = 0;
      for (let i = 0; i < fibers.length; i++) {
        const r = mine.runInAsyncScope(() => { const v = fibers[i].run(); if (executionAsyncId() !== mine.asyncId()) bad.push('resumer in scope'); return v; });
        if (executionAsyncId() !== before) bad.push('resumer id');
        if (fibers[i].started) live++; else results[i] = r;
      }
      if (live > 0) setImmediate(round);
      else console.log(JSON.stringify({ yields, bad: bad.slice(0, 5), results: results.every((r, i) => r === i) }));
    }
    setImmediate(round);
  `;
  const r = spawnSync(process.execPath, ['--force-async-hooks-checks', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.deepEqual(JSON.parse(r.stdout), { yields: 1500, bad: [], results: true });
});

// Node's async internals are reached only when first needed, so that loading
// the module loads no inspector: here from inside a fiber, two levels deep,
// whose entries predate the reach (their depth is found from the stack).
test('the async-id stack is reached when a fiber first yields inside a scope, from inside nested fibers', (t) => {
  const script = `
    const Fiber = require(${JSON.stringify(fibersPath)});
    const { AsyncResource, createHook, executionAsyncId, triggerAsyncId } = require('node:async_hooks');
    createHook({ init() {}, before() {}, after() {} }).enable();
    const inspectorLoaded = () => process.moduleLoadList.includes('NativeModule inspector');
    const steps = [];
    const bad = [];
    const check = (where, r) => {
      if (executionAsyncId() !== r.asyncId() || triggerAsyncId() !== r.triggerAsyncId()) bad.push(where);
    };
    steps.push('loaded ' + inspectorLoaded());
    const outerScope = new AsyncResource('outer');
    const innerScope = new AsyncResource('inner');
    const inner = Fiber(() => {
      innerScope.runInAsyncScope(() => {
        steps.push('inner yields ' + inspectorLoaded());
        Fiber.yield();
        check('inner resumed', innerScope);
      });
      steps.push('inner done');
    });
    const outer = Fiber(() => {
      inner.run();
      steps.push('outer after inner ' + inspectorLoaded());
      outerScope.runInAsyncScope(() => {
        Fiber.yield();
        check('outer resumed', outerScope);
        inner.run();
        check('outer after inner again', outerScope);
      });
      steps.push('outer done');
    });
    setImmediate(() => {
      const mine = executionAsyncId();
      outer.run();
      if (executionAsyncId() !== mine) bad.push('immediate after outer');
      setImmediate(() => {
        const mine = executionAsyncId();
        outer.run();
        if (executionAsyncId() !== mine) bad.push('second immediate after outer');
        console.log(JSON.stringify({ carries: Fiber.carriesAsyncScopes, steps, bad }));
      });
    });
  `;
  const r = spawnSync(process.execPath, ['--force-async-hooks-checks', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.deepEqual(JSON.parse(r.stdout), {
    carries: true,
    steps: ['loaded false', 'inner yields false', 'outer after inner true', 'inner done', 'outer done'],
    bad: [],
  });
});
