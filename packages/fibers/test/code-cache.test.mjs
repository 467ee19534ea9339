// Loading the engine must not change V8's flag hash: V8 checks every code
// cache against it, Node's builtins' included, so a changed hash makes each
// builtin loaded afterwards compile from source (some 15 ms for a handful
// of them). The engine turns WebAssembly code GC off in place for that
// reason; threads-backend.test.mjs checks that it is really off.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const fibers = path.join(here, '..');

function tags(backend) {
  const code = `
const v8 = require('node:v8');
const before = v8.cachedDataVersionTag();
const Fiber = require(${JSON.stringify(fibers)});
const f = Fiber(() => Fiber.yield(1));
f.run();
const { Worker } = require('node:worker_threads');
const w = new Worker(${JSON.stringify(`require(${JSON.stringify(fibers)}); require('node:worker_threads').parentPort.postMessage(require('node:v8').cachedDataVersionTag());`)}, { eval: true });
w.on('message', (inWorker) => {
  console.log(JSON.stringify({ before, after: v8.cachedDataVersionTag(), inWorker, backend: Fiber.backend }));
  f.run();
});
`;
  const env = { ...process.env, GREENPATCH_BACKEND: backend };
  delete env.GREENPATCH_TEST_NATIVE_FAILURE;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60_000, env });
  return r;
}

for (const backend of ['native', 'threads']) {
  test(`loading the engine and running fibers keeps V8's code cache tag (${backend})`, (t) => {
    const stock = spawnSync(process.execPath, ['-p', "require('node:v8').cachedDataVersionTag()"], { encoding: 'utf8', timeout: 30_000 });
    t.is(stock.status, 0, stock.stderr);
    const r = tags(backend);
    t.is(r.status, 0, r.stderr.slice(0, 500));
    const out = JSON.parse(r.stdout);
    t.is(out.backend, backend);
    t.is(out.before, Number(stock.stdout));
    t.is(out.after, out.before, 'the tag after loading the engine and suspending a fiber');
    t.is(out.inWorker, out.before, 'the tag after a worker loads the engine');
  });
}
