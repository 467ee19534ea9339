// Server listeners in green threads that fail where stock Node's emit never
// sees it: an error after the listener blocked is reported, and its client
// is answered (500) or disconnected rather than left waiting; a rejected
// async listener on an emitter with captureRejections is captured as stock.
import test from 'ava';
import { runFixture as run } from './helpers/run-fixture.mjs';

test('a failing listener answers its client; captureRejections as in stock Node', async (t) => {
  t.timeout(40_000);
  const stock = await run(['listener-failure.js', 'stock']);
  t.is(stock.stderr, '');
  t.is(stock.stdout, 'captureRejections: status 500\nreported: []\n');
  const green = await run(['--require', 'greenpatch/register', 'listener-failure.js', 'green']);
  t.is(green.stderr, '');
  t.is(green.code, 0);
  t.deepEqual(green.stdout.trim().split('\n'), [
    'throw before head: status 500',
    'throw after head: aborted after 200',
    'connection: closed by the server',
    // The same as stock: Node's http server answers the captured rejection.
    'captureRejections: status 500',
    'reported: ["failed after the head","failed before the head","failed connection"]',
  ]);
});
