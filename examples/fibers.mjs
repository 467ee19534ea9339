// The engine alone (no hub): synchronous-style code in several fibers sharing one
// thread. Each "client" fetches from a local HTTP server with a call that
// reads as blocking (future.wait()), yet all of them run at once: the server
// answers each after 200 ms, and the three together finish in about 200 ms.
import http from 'node:http';
import Fiber from '@greenpatch/fibers';
import Future from '@greenpatch/fibers/future';

const server = http.createServer((req, res) => {
  setTimeout(() => res.end(`hello from ${req.url}\n`), 200);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

// Blocks only the calling fiber until the promise settles.
const wait = (promise) => Future.fromPromise(promise).wait();
const getText = (path) => wait(fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.text()));

const started = Date.now();
const done = [];
for (const name of ['alpha', 'beta', 'gamma']) {
  const finished = new Future();
  done.push(finished);
  Fiber(() => {
    const body = getText(`/${name}`); // reads like a blocking call
    console.log(`${name}: ${body.trim()} (${Date.now() - started} ms)`);
    finished.return();
  }).run();
}
Fiber(() => {
  Future.wait(done);
  console.log(`all three in ${Date.now() - started} ms on one thread (backend: ${Fiber.backend})`);
  server.close();
}).run();
