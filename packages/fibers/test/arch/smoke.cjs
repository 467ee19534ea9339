// The engine's native paths on another architecture (run under qemu-user by
// scripts/check-aarch64.sh): switching, values, exceptions across switches,
// stack overflow, many suspended fibers through full collections, the
// switch path chosen.
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const vm = require('node:vm');
const Fiber = require(process.argv[2]);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const checks = [];
const check = (name, fn) => {
  fn();
  checks.push(name);
};

check('run and yield pass values both ways', () => {
  const f = Fiber((x) => Fiber.yield(x + 1) * 2);
  assert.equal(f.run(1), 2);
  assert.equal(f.run(5), 10);
  assert.equal(f.started, false);
});
check('throwInto and errors across switches', () => {
  const f = Fiber(() => {
    try {
      Fiber.yield();
    } catch (e) {
      return `caught ${e.message}`;
    }
  });
  f.run();
  assert.equal(f.throwInto(new Error('x')), 'caught x');
  assert.throws(() => Fiber(() => { throw new TypeError('out'); }).run(), TypeError);
});
check('deep recursion raises RangeError', () => {
  const r = () => r();
  assert.throws(() => Fiber(() => r()).run(), RangeError);
});
check('2,000 suspended fibers keep their data through full collections', () => {
  const fibers = [];
  for (let i = 0; i < 2000; i++) {
    const f = Fiber((id) => {
      let own = [];
      for (let round = 0; ; round++) {
        own.push({ id, round });
        if (own.length > 6) own = own.slice(3);
        if (own.some((o) => o.id !== id)) throw new Error('corrupted');
        Fiber.yield(round);
      }
    });
    f.run(i);
    fibers.push(f);
  }
  for (let round = 1; round <= 3; round++) {
    for (const f of fibers) assert.equal(f.run(), round);
    gc();
  }
  Fiber(() => gc()).run();
  for (const f of fibers) f.reset();
});
check('the direct switch path is refused cleanly off x86-64: the Locker path, with why', () => {
  assert.equal(Fiber.backend, 'native');
  if (process.arch !== 'x64') {
    assert.equal(Fiber.switchPath, 'locker');
    assert.match(Fiber.switchReason, /x86-64/);
  }
});
check('misuse throws with a code', () => {
  assert.throws(() => Fiber.yield(), { code: 'ERR_FIBER_YIELD_OUTSIDE' });
});
console.log(`${process.arch} smoke on ${process.version}: ${checks.length} passed, 0 failed`);
