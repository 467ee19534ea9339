// The soak's short version (bench/soak.bench.mjs --short: 20 s, 2,000
// connections, storms of 500 threads): a green echo server and a green HTTP
// server with blocking handlers under misbehaving clients from another
// process, kill() and Timeout storms alongside. Asserts outcomes only: every
// byte checked, every request answered or closed, no thread left, memory
// not growing without bound, still serving at the end, nothing on stderr.
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const soak = fileURLToPath(new URL('../bench/soak.bench.mjs', import.meta.url));

function runSoak() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [soak, '--short', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // The soak bounds itself; this is a last resort against a hang.
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('soak, short: every byte and request checked, no thread left, still serving', async (t) => {
  t.timeout(300_000);
  const { code, signal, stdout, stderr } = await runSoak();
  t.is(signal, null);
  t.is(stderr, '');
  const line = stdout.trim().split('\n').pop();
  const r = JSON.parse(line);
  t.log(`${r.connections} connections, ${r.bytesChecked} bytes and ${r.requestsAnswered} requests checked, RSS MB ${JSON.stringify(r.rss)}`);
  t.deepEqual(r.failures, {}, r.failureSamples.join('\n'));
  // The load reached its connection count and kept it.
  t.true(r.clientMaxOpen >= r.connections * 0.9, `at most ${r.clientMaxOpen} open`);
  // Bytes were echoed and checked, requests answered and checked, each kind of misbehaviour happened.
  t.true(r.bytesChecked > 0);
  t.true(r.requestsAnswered > 0);
  for (const kind of ['echo', 'echoHalfClose', 'echoReset', 'echoVanish', 'httpPipeline', 'httpReset', 'httpVanish', 'httpHalfClose']) {
    t.true(r.sessions[kind] > 0, `no ${kind} session ran`);
  }
  t.true(r.resets > 0 && r.vanished > 0);
  // The server saw resets as coded errors (uncoded ones are failures above).
  t.true((r.echoEnds.ECONNRESET ?? 0) + (r.echoEnds.EPIPE ?? 0) > 0, JSON.stringify(r.echoEnds));
  // Storms ran and every kill and timeout was checked.
  t.true(r.storms > 0);
  t.is(r.killsChecked + r.timeoutsChecked, r.stormThreads);
  // Nothing left behind, and the server still serves, then ends by itself.
  t.is(r.threadsLeft, 0);
  t.deepEqual(r.finalCheck, { echoed: true, httpAnswered: true });
  t.true(r.serverExitedBySelf);
  t.is(r.serverStderr, '');
  t.is(r.loadStderr, '');
  // Memory: after warm-up the server's RSS does not keep growing. A leak of
  // one green thread (its fiber stack) per connection or storm thread would
  // put hundreds of MB on top (40,000 requests × ~10 KB); this bound is
  // generous for a loaded machine, where a backlog of pending connections
  // alone has been seen to add 140 MB.
  t.true(r.rss.lastUnderLoad <= r.rss.afterWarmup * 1.5 + 128, JSON.stringify(r.rss));
  t.true(r.ok);
  t.is(code, 0);
});
