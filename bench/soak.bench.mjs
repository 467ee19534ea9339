// Soak: a green echo server and a green HTTP server with blocking handlers,
// under thousands of concurrent connections from another process, with
// clients that misbehave, while storms of kill() and Timeout sweep thousands
// of green threads in the same process. Bounded: it stops by itself.
//
//   node bench/soak.bench.mjs [--short] [--json] [--seconds N] [--connections N]
//   SOAK_SECONDS=N SOAK_CONNECTIONS=N node bench/run.mjs soak
//
// Default: 300 s, 10,000 connections (half echo, half HTTP). --short: 20 s,
// 2,000 connections (what CI runs, through tests/soak.test.mjs). --json
// prints one JSON line of results instead of the table.
//
// Checked, and any miss counted as a failure: every byte a client sends is
// echoed back in order; every HTTP request of a well-behaved client is
// answered with the right body (or its connection closed, which is a failure
// for a client that did nothing wrong); every kill() and Timeout lands on the
// thread it was meant for with the error it was meant to throw; no green
// thread is left running once the load has gone (counted in the handlers'
// own try/finally, since greenpatch keeps no public registry of threads);
// and the server still answers afterwards. Resident memory is sampled every
// second and reported after warm-up against the end.
//
// Three processes: this driver (plain Node), the server (greenpatch) and the
// load (plain Node). Each child is started through `sh -c 'ulimit -n N;
// exec node ...'`, raising its soft file-descriptor limit to the hard one; if
// the hard limit is too low for the connection count, the count is scaled
// down and the report says so.
import { spawn as spawnChild, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const require = createRequire(import.meta.url);
const greenpatchPath = fileURLToPath(new URL('../packages/greenpatch/dist/index.js', import.meta.url));
const greenHttpPath = fileURLToPath(new URL('../packages/greenpatch/dist/green/http.js', import.meta.url));

// ------------------------------------------------------------ shared bits

// Every byte on the wire is predictable from (seed, offset): a window of a
// fixed random table, so that checking an echo costs a memcmp.
const TABLE = (() => {
  const t = Buffer.alloc(2 * 65536);
  let x = 0x2545f491;
  for (let i = 0; i < 65536; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    t[i] = x & 0xff;
  }
  t.copy(t, 65536, 0, 65536);
  return t;
})();

/** The `len` bytes of stream `seed` starting at `offset`. */
function bytesAt(seed, offset, len) {
  const out = Buffer.allocUnsafe(len);
  for (let done = 0; done < len; ) {
    const start = (seed + offset + done) & 0xffff;
    const n = Math.min(len - done, 65536);
    TABLE.copy(out, done, start, start + n);
    done += n;
  }
  return out;
}

/** Whether `chunk` is what stream `seed` holds at `offset`. */
function matches(seed, offset, chunk) {
  for (let done = 0; done < chunk.length; ) {
    const start = (seed + offset + done) & 0xffff;
    const n = Math.min(chunk.length - done, 65536);
    if (TABLE.compare(chunk, done, done + n, start, start + n) !== 0) return false;
    done += n;
  }
  return true;
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));

function fail(counters, what, detail) {
  counters.failures[what] = (counters.failures[what] ?? 0) + 1;
  // A few examples of each kind.
  if (counters.failures[what] <= 5) counters.failureSamples.push(`${what}: ${detail}`);
}

// ------------------------------------------------------------ server

async function serverRole() {
  const gp = require(greenpatchPath);
  const ghttp = require(greenHttpPath);
  const { spawn, sleep, wait, joinAll, killAll, Event, Queue, Semaphore, AsyncResult, Timeout, TimeoutError, GreenThreadExit, withTimeout } = gp;

  const c = {
    failures: {},
    failureSamples: [],
    echoSessions: 0,
    echoBytes: 0,
    echoEnds: {},
    httpConnections: 0,
    httpRequests: 0,
    httpEnds: {},
    storms: 0,
    stormThreads: 0,
    killsChecked: 0,
    timeoutsChecked: 0,
  };
  // Green threads alive, counted in each one's own try/finally.
  const live = { echo: 0, http: 0, storm: 0, httpSockets: 0 };
  const maxLive = { echo: 0, http: 0, httpSockets: 0 };
  const countEnd = (bucket, error) => {
    const code = error === undefined ? 'ok' : error?.code;
    if (error !== undefined && typeof code !== 'string') fail(c, 'server-uncoded-error', String(error?.stack ?? error));
    bucket[code] = (bucket[code] ?? 0) + 1;
  };
  gp.setErrorHandler((error, thread) => fail(c, 'unhandled-thread-error', `${thread?.name}: ${error?.stack ?? error}`));

  // The upstream the HTTP handlers call with a blocking getSync: stock Node.
  const upstream = http.createServer((req, res) => {
    const n = new URL(req.url, 'http://x').searchParams.get('n');
    const body = `up:${n}`;
    setTimeout(() => res.end(body), rand(0, 5));
  });
  upstream.keepAliveTimeout = 60_000;
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = upstream.address().port;
  const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  // The green HTTP server: one green thread per request, handlers that block.
  const httpServer = ghttp.createServer((req, res) => {
    live.http++;
    maxLive.http = Math.max(maxLive.http, live.http);
    c.httpRequests++;
    let stage = 'parse';
    try {
      const url = new URL(req.url, 'http://x');
      stage = url.pathname;
      let body;
      if (url.pathname === '/sleep') {
        const ms = Number(url.searchParams.get('ms'));
        sleep(ms);
        body = `slept ${ms}`;
      } else if (url.pathname === '/upstream') {
        const r = ghttp.getSync({ host: '127.0.0.1', port: upstreamPort, path: `/u?n=${url.searchParams.get('n')}`, agent: upstreamAgent });
        body = r.text();
      } else if (url.pathname === '/echo') {
        body = wait(readBody(req));
      } else {
        body = 'hello';
      }
      const bytes = Buffer.from(body, 'latin1');
      res.writeHead(200, { 'content-length': bytes.length });
      res.end(bytes);
      countEnd(c.httpEnds);
    } catch (error) {
      countEnd(c.httpEnds, error);
      // An error not caused by this request's own client going away.
      if (!req.socket.destroyed) fail(c, 'http-handler-error', `${stage}: ${error?.code} ${error?.message}`);
      res.destroy();
    } finally {
      live.http--;
    }
  });
  httpServer.on('connection', (socket) => {
    c.httpConnections++;
    live.httpSockets++;
    maxLive.httpSockets = Math.max(maxLive.httpSockets, live.httpSockets);
    socket.once('close', () => live.httpSockets--);
  });
  httpServer.keepAliveTimeout = 120_000;
  httpServer.headersTimeout = 120_000;
  await new Promise((resolve) => httpServer.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));

  function readBody(req) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      req.on('error', reject);
      req.on('close', () => {
        if (!req.complete) reject(Object.assign(new Error('request aborted'), { code: 'ECONNRESET' }));
      });
    });
  }

  // The green echo server: eventlet's, one green thread per client.
  let echoServer;
  const echoReady = new Promise((resolve) => {
    spawn(() => {
      echoServer = gp.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
      resolve();
      gp.serve(
        echoServer,
        (socket) => {
          live.echo++;
          maxLive.echo = Math.max(maxLive.echo, live.echo);
          c.echoSessions++;
          try {
            for (;;) {
              const data = socket.recv();
              if (data.length === 0) break;
              c.echoBytes += data.length;
              socket.sendall(data);
            }
            countEnd(c.echoEnds);
          } catch (error) {
            countEnd(c.echoEnds, error);
          } finally {
            live.echo--;
          }
        },
        { concurrency: 1_000_000 },
      );
    });
  });
  await echoReady;

  // ---- storms: kill() and Timeout across thousands of threads at once.
  const stormError = Object.assign(new Error('storm kill'), { code: 'ERR_SOAK_STORM' });

  function blocker(i, shared) {
    switch (i % 6) {
      case 0:
        return sleep(rand(1_000, 60_000));
      case 1:
        return shared.event.wait();
      case 2:
        return shared.queue.get();
      case 3:
        return shared.sem.acquire();
      case 4:
        return shared.result.get();
      default:
        return wait(new Promise(() => {}));
    }
  }

  function killStorm(n) {
    const shared = { event: new gp.Event(), queue: new Queue(), sem: new Semaphore(0), result: new AsyncResult() };
    const started = new Array(n).fill(false);
    const cleaned = new Array(n).fill(false);
    const threads = [];
    for (let i = 0; i < n; i++) {
      threads.push(
        spawn(() => {
          live.storm++;
          started[i] = true;
          try {
            blocker(i, shared);
            fail(c, 'storm-kill-missed', `thread ${i} returned from its block`);
          } finally {
            cleaned[i] = true;
            live.storm--;
          }
        }),
      );
    }
    c.stormThreads += n;
    // Some are killed before they ever start; they must never run.
    const early = threads.slice(0, Math.floor(n / 10));
    for (const t of early) t.kill(stormError);
    sleep(rand(1, 20));
    // The rest must be blocked when they are killed: on a busy machine the
    // short sleep can end before every spawned thread has had its first turn.
    while (started.some((s, i) => i >= early.length && !s)) sleep(0);
    // The rest three ways: one by one from this thread, from a timer on the
    // hub, and killAll.
    const third = Math.floor((n - early.length) / 3);
    const byOne = threads.slice(early.length, early.length + third);
    const fromHub = threads.slice(early.length + third, early.length + 2 * third);
    const byAll = threads.slice(early.length + 2 * third);
    for (const t of byOne) t.kill(stormError);
    setTimeout(() => {
      for (const t of fromHub) t.kill();
    }, rand(0, 10));
    killAll(byAll, { error: stormError, wait: true });
    const done = joinAll(threads, { timeout: 30_000, raiseError: false });
    if (done.length !== n) fail(c, 'storm-kill-stuck', `${n - done.length} of ${n} threads still alive`);
    threads.forEach((t, i) => {
      const expected = fromHub.includes(t) ? GreenThreadExit : null;
      const ok = t.dead && !t.successful() && (expected ? t.exception instanceof expected : t.exception === stormError);
      if (!ok) fail(c, 'storm-kill-wrong-end', `thread ${i}: ${t.exception}`);
      if (i < early.length ? started[i] : !cleaned[i]) fail(c, 'storm-kill-lifecycle', `thread ${i} started=${started[i]} cleaned=${cleaned[i]}`);
      c.killsChecked++;
    });
  }

  function timeoutStorm(n) {
    const shared = { event: new gp.Event(), queue: new Queue(), sem: new Semaphore(0), result: new AsyncResult() };
    const threads = [];
    for (let i = 0; i < n; i++) {
      threads.push(
        spawn(() => {
          live.storm++;
          try {
            if (i % 4 === 3) {
              // withTimeout with a value, and nested deadlines: the shorter wins.
              const v = withTimeout(rand(1, 30), () => blocker(i, shared), { timeoutValue: 'late' });
              if (v !== 'late') fail(c, 'storm-timeout-value', `thread ${i} got ${v}`);
              const outer = new Timeout(rand(1, 20)).start();
              const inner = new Timeout(1_000).start();
              try {
                blocker(i, shared);
                fail(c, 'storm-timeout-missed', `nested thread ${i}`);
              } catch (e) {
                if (!(e instanceof TimeoutError) || e.timeout !== outer) fail(c, 'storm-timeout-wrong', `nested thread ${i}: ${e}`);
              } finally {
                inner.cancel();
                outer.cancel();
              }
            } else {
              const t = new Timeout(rand(1, 50)).start();
              try {
                blocker(i, shared);
                fail(c, 'storm-timeout-missed', `thread ${i}`);
              } catch (e) {
                if (!(e instanceof TimeoutError) || e.timeout !== t) fail(c, 'storm-timeout-wrong', `thread ${i}: ${e}`);
              } finally {
                t.cancel();
              }
            }
            // A cancelled Timeout never fires: this sleep must complete.
            sleep(rand(0, 5));
            c.timeoutsChecked++;
          } finally {
            live.storm--;
          }
        }),
      );
    }
    c.stormThreads += n;
    const done = joinAll(threads, { timeout: 30_000, raiseError: false });
    if (done.length !== n) fail(c, 'storm-timeout-stuck', `${n - done.length} of ${n} threads still alive`);
    for (const t of threads) if (!t.successful()) fail(c, 'storm-timeout-thread-failed', String(t.exception?.stack ?? t.exception));
  }

  let storming = false;
  let stormsDone = Promise.resolve();
  function startStorms(size) {
    storming = true;
    stormsDone = new Promise((resolve) => {
      spawn(() => {
        try {
          while (storming) {
            killStorm(size);
            timeoutStorm(size);
            c.storms++;
            sleep(rand(200, 1000));
          }
        } catch (e) {
          fail(c, 'storm-loop', String(e?.stack ?? e));
        } finally {
          resolve();
        }
      });
    });
  }

  // ---- resident memory, every second.
  const samples = [];
  const sample = () => {
    const m = process.memoryUsage();
    samples.push({ t: Math.round(process.uptime() * 10) / 10, rss: m.rss, heap: m.heapUsed, live: live.echo + live.http + live.storm, sockets: live.echo + live.httpSockets });
  };
  sample();
  const sampler = setInterval(sample, 1000);

  const state = () => ({ live: { ...live }, maxLive, counters: c });
  process.on('message', async (m) => {
    if (m.cmd === 'storms') startStorms(m.size);
    if (m.cmd === 'state') process.send({ state: state() });
    if (m.cmd === 'stop-storms') {
      storming = false;
      await stormsDone;
      process.send({ stormsStopped: true });
    }
    if (m.cmd === 'finish') {
      clearInterval(sampler);
      globalThis.gc?.();
      sample();
      const Fiber = require(require.resolve('@greenpatch/fibers', { paths: [greenpatchPath] }));
      process.send({ final: { ...state(), samples, fibersCreated: Fiber.fibersCreated } });
    }
    if (m.cmd === 'stop') {
      // Close everything; the process must then end by itself.
      process.disconnect();
      echoServer.close();
      httpServer.close();
      httpServer.closeAllConnections?.();
      upstream.close();
      upstream.closeAllConnections?.();
      upstreamAgent.destroy();
    }
  });
  process.send({ ready: { echoPort: echoServer.address().port, httpPort: httpServer.address().port } });
}

// ------------------------------------------------------------ load

// Sessions: each holds one connection for a while, then the slot opens a new
// one. Weights sum to 100.
// Half the slots talk to each server.
const ECHO_SESSIONS = [
  ['echo', 60],
  ['echoHalfClose', 15],
  ['echoReset', 12],
  ['echoSlowReader', 3],
  ['echoVanish', 10],
];
const HTTP_SESSIONS = [
  ['httpPipeline', 70],
  ['httpReset', 10],
  ['httpVanish', 10],
  ['httpHalfClose', 10],
];

async function loadRole(echoPort, httpPort, connections, seconds, thinkMs) {
  const c = {
    failures: {},
    failureSamples: [],
    sessions: {},
    bytesSent: 0,
    bytesChecked: 0,
    requestsSent: 0,
    requestsAnswered: 0,
    requestsUnansweredOnPurpose: 0,
    requestsClosedAfterHalfClose: 0,
    requestsClosedByError: {},
    connectsOverDeadline: 0,
    resets: 0,
    vanished: 0,
    open: 0,
    maxOpen: 0,
    connectErrors: {},
  };
  let running = true;
  let seedCounter = 1;

  function connectTo(port, note) {
    if (note) note.waiting = 'connect';
    return new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setNoDelay(true);
      let opened = false;
      s.once('connect', () => {
        if (note) note.waiting = undefined;
        opened = true;
        c.open++;
        c.maxOpen = Math.max(c.maxOpen, c.open);
        s.once('close', () => c.open--);
        resolve(s);
      });
      s.once('error', (e) => {
        if (!opened) {
          c.connectErrors[e.code] = (c.connectErrors[e.code] ?? 0) + 1;
          resolve(null);
        }
      });
    });
  }

  /** Resolves when the socket closes; records errors other than the expected ones. */
  function closed(s) {
    return s.destroyed && s.closed ? Promise.resolve() : once(s, 'close').then(() => {});
  }

  // Reads the echo of what was sent, checking every byte; resolves with the
  // count received once `until` bytes came back or the stream ended.
  function echoReader(s, seed) {
    const r = { got: 0, ended: false, bad: false, waiters: [] };
    const poke = () => {
      for (const w of r.waiters.splice(0)) w();
    };
    s.on('data', (d) => {
      if (!matches(seed, r.got, d)) r.bad = true;
      r.got += d.length;
      c.bytesChecked += d.length;
      poke();
    });
    s.on('end', () => {
      r.ended = true;
      poke();
    });
    s.on('close', () => {
      r.ended = true;
      poke();
    });
    s.on('error', () => {});
    r.until = (n) =>
      new Promise((resolve) => {
        const check = () => (r.got >= n || r.ended || r.bad ? resolve(r.got) : r.waiters.push(check));
        check();
      });
    return r;
  }

  const sessions = {
    async echo(note) {
      const s = await connectTo(echoPort, note);
      if (!s) return;
      const seed = seedCounter++;
      const r = echoReader(s, seed);
      let sent = 0;
      for (let round = rand(3, 10); round > 0 && running; round--) {
        const len = rand(1, 8192);
        const msg = bytesAt(seed, sent, len);
        // In one to three writes: the server sees any split.
        const cut = rand(0, len);
        s.write(msg.subarray(0, cut));
        s.write(msg.subarray(cut));
        sent += len;
        c.bytesSent += len;
        await r.until(sent);
        if (r.bad || r.got !== sent) {
          fail(c, r.bad ? 'echo-corrupt' : 'echo-short', `sent ${sent}, got ${r.got}`);
          s.destroy();
          return;
        }
        await delay(rand(thinkMs / 2, thinkMs * 2));
      }
      s.end();
      await closed(s);
    },
    async echoHalfClose(note) {
      const s = await connectTo(echoPort, note);
      if (!s) return;
      const seed = seedCounter++;
      const r = echoReader(s, seed);
      const len = rand(1, 200_000);
      s.end(bytesAt(seed, 0, len));
      c.bytesSent += len;
      await closed(s);
      if (r.bad || r.got !== len) fail(c, r.bad ? 'halfclose-corrupt' : 'halfclose-short', `sent ${len} then FIN, got ${r.got} back`);
    },
    async echoReset(note) {
      const s = await connectTo(echoPort, note);
      if (!s) return;
      const seed = seedCounter++;
      const r = echoReader(s, seed);
      const len = rand(1, 16384);
      s.write(bytesAt(seed, 0, len));
      c.bytesSent += len;
      await r.until(rand(0, len));
      await delay(rand(0, thinkMs));
      // Mid-message: half of another message, then a reset.
      s.write(bytesAt(seed, len, 4096).subarray(0, 2048));
      s.resetAndDestroy();
      c.resets++;
      if (r.bad) fail(c, 'reset-corrupt', `got ${r.got} before reset`);
      await closed(s);
    },
    async echoSlowReader(note) {
      const s = await connectTo(echoPort, note);
      if (!s) return;
      const seed = seedCounter++;
      const r = echoReader(s, seed);
      const len = rand(256 * 1024, 1024 * 1024);
      s.write(bytesAt(seed, 0, len));
      c.bytesSent += len;
      // Read a little, then nothing for a while: the server's sendall waits.
      s.on('data', () => {
        s.pause();
        setTimeout(() => s.resume(), rand(5, 50));
      });
      await r.until(len);
      if (r.bad || r.got !== len) fail(c, r.bad ? 'slow-corrupt' : 'slow-short', `sent ${len}, got ${r.got}`);
      s.end();
      await closed(s);
    },
    async echoVanish(note) {
      const s = await connectTo(echoPort, note);
      if (!s) return;
      s.on('error', () => {});
      const seed = seedCounter++;
      const len = rand(1, 65536);
      s.write(bytesAt(seed, 0, len));
      c.bytesSent += len;
      await delay(rand(0, 20));
      s.destroy(); // gone, without reading what comes back
      c.vanished++;
      await closed(s);
    },
    async httpPipeline(note) {
      const s = await connectTo(httpPort, note);
      if (!s) return;
      const reader = httpReader(s);
      for (let round = rand(2, 6); round > 0 && running; round--) {
        const expected = [];
        const paths = [];
        let wire = '';
        for (let k = rand(1, 4); k > 0; k--) {
          const kind = rand(0, 2);
          const n = seedCounter++;
          if (kind === 0) {
            const ms = rand(0, 50);
            wire += `GET /sleep?ms=${ms} HTTP/1.1\r\nHost: soak\r\n\r\n`;
            paths.push(`/sleep?ms=${ms}`);
            expected.push(`slept ${ms}`);
          } else if (kind === 1) {
            wire += `GET /upstream?n=${n} HTTP/1.1\r\nHost: soak\r\n\r\n`;
            paths.push('/upstream');
            expected.push(`up:${n}`);
          } else {
            const body = bytesAt(n, 0, rand(0, 3000)).toString('latin1');
            wire += `POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
            expected.push(body);
            paths.push(`/echo (${body.length} bytes)`);
          }
        }
        c.requestsSent += expected.length;
        s.write(wire, 'latin1');
        for (const [at, body] of expected.entries()) {
          note.waiting = `answer ${at + 1} of ${expected.length}: ${paths[at]}`;
          const res = await reader.next();
          if (res === null) {
            // Closed by a reset or a timeout (the kernel gives up on a
            // connection the server never accepted when its accept queue
            // overflows): closed, as the contract allows; counted apart. A
            // clean close with a request unanswered is a failure.
            if (reader.errorCode() !== undefined) {
              c.requestsClosedByError[reader.errorCode()] = (c.requestsClosedByError[reader.errorCode()] ?? 0) + 1;
            } else fail(c, 'http-unanswered', `connection closed cleanly with a request unanswered: ${note.waiting}`);
            s.destroy();
            return;
          }
          if (res.status !== 200 || res.body !== body) {
            fail(c, 'http-wrong-answer', `status ${res.status}, body ${JSON.stringify(res.body.slice(0, 40))} for ${JSON.stringify(body.slice(0, 40))}`);
            s.destroy();
            return;
          }
          c.requestsAnswered++;
        }
        await delay(rand(thinkMs / 2, thinkMs * 2));
      }
      s.end();
      await closed(s);
    },
    async httpReset(note) {
      const s = await connectTo(httpPort, note);
      if (!s) return;
      s.on('error', () => {});
      const body = 'x'.repeat(rand(10, 5000));
      const wire = `POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      s.write(wire.slice(0, rand(1, wire.length - 1)));
      c.requestsSent++;
      c.requestsUnansweredOnPurpose++;
      await delay(rand(0, 50));
      s.resetAndDestroy();
      c.resets++;
      await closed(s);
    },
    async httpVanish(note) {
      const s = await connectTo(httpPort, note);
      if (!s) return;
      s.on('error', () => {});
      const path = rand(0, 1) ? `/sleep?ms=${rand(10, 200)}` : `/upstream?n=${seedCounter++}`;
      s.write(`GET ${path} HTTP/1.1\r\nHost: soak\r\n\r\n`);
      c.requestsSent++;
      c.requestsUnansweredOnPurpose++;
      await delay(rand(0, 30));
      s.destroy();
      c.vanished++;
      await closed(s);
    },
    async httpHalfClose(note) {
      const s = await connectTo(httpPort, note);
      if (!s) return;
      const reader = httpReader(s);
      const n = seedCounter++;
      s.end(`GET /upstream?n=${n} HTTP/1.1\r\nHost: soak\r\n\r\n`);
      c.requestsSent++;
      const res = await reader.next();
      // Stock Node's http server (httpAllowHalfOpen false) drops a request
      // whose client half-closed before the answer was written, and closes
      // the connection: answered or closed, both keep the contract.
      if (res === null) c.requestsClosedAfterHalfClose++;
      else if (res.status !== 200 || res.body !== `up:${n}`) fail(c, 'http-halfclose-wrong', `${res.status} ${res.body}`);
      else c.requestsAnswered++;
      await closed(s);
    },
  };

  // A minimal HTTP/1.1 response reader (Content-Length bodies only, which is
  // all this server sends).
  function httpReader(s) {
    let buf = Buffer.alloc(0);
    let ended = false;
    let waiter;
    s.on('data', (d) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      waiter?.();
    });
    const onEnd = () => {
      ended = true;
      waiter?.();
    };
    s.on('end', onEnd);
    s.on('close', onEnd);
    let errorCode;
    s.on('error', (e) => (errorCode = e.code));
    const parse = () => {
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return undefined;
      const lines = buf.subarray(0, head).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      let length = 0;
      for (const line of lines.slice(1)) {
        const at = line.indexOf(':');
        if (line.slice(0, at).toLowerCase() === 'content-length') length = Number(line.slice(at + 1));
      }
      if (buf.length < head + 4 + length) return undefined;
      const body = buf.subarray(head + 4, head + 4 + length).toString('latin1');
      buf = buf.subarray(head + 4 + length);
      return { status, body };
    };
    return {
      errorCode: () => errorCode,
      next: () =>
        new Promise((resolve) => {
          const attempt = () => {
            const res = parse();
            if (res !== undefined) {
              waiter = undefined;
              resolve(res);
            } else if (ended) {
              waiter = undefined;
              resolve(null);
            } else waiter = attempt;
          };
          attempt();
        }),
    };
  }

  const pick = (weights) => {
    let x = rand(0, 99);
    for (const [name, w] of weights) {
      if (x < w) return name;
      x -= w;
    }
    return weights[0][0];
  };

  // A slot keeps one session going at a time until the end, so the number of
  // open connections stays near `connections`.
  const sessionDeadlineMs = 60_000;
  async function slot(i) {
    while (running) {
      const name = pick(i % 2 === 0 ? ECHO_SESSIONS : HTTP_SESSIONS);
      c.sessions[name] = (c.sessions[name] ?? 0) + 1;
      let timer;
      const note = {};
      const stuck = new Promise((resolve) => (timer = setTimeout(() => resolve('stuck'), sessionDeadlineMs)));
      const outcome = await Promise.race([sessions[name](note).then(() => 'done', (e) => e), stuck]);
      clearTimeout(timer);
      // A connect still in SYN retries after the deadline is the server
      // being too busy to accept (counted apart); anything else stuck fails.
      if (outcome === 'stuck' && note.waiting === 'connect') c.connectsOverDeadline++;
      else if (outcome === 'stuck') fail(c, 'session-stuck', `${name} took over ${sessionDeadlineMs} ms${note.waiting ? `, waiting for ${note.waiting}` : ''}`);
      else if (outcome !== 'done') fail(c, 'session-threw', `${name}: ${outcome?.stack ?? outcome}`);
    }
  }

  process.send({ loading: true });
  const slots = [];
  // Ramp up in batches, so the accept backlog is not flooded.
  for (let i = 0; i < connections; i++) {
    slots.push(slot(i));
    if (i % 250 === 249) await delay(50);
  }
  const openSamples = [];
  const sampler = setInterval(() => openSamples.push(c.open), 1000);
  await delay(seconds * 1000);
  clearInterval(sampler);
  running = false;
  await Promise.all(slots);
  c.openAfterWarmup = openSamples.slice(Math.floor(openSamples.length / 4));
  c.minOpenAfterWarmup = Math.min(...c.openAfterWarmup);
  delete c.openAfterWarmup;
  process.send({ load: c });
}

// ------------------------------------------------------------ driver

function child(args, limit) {
  const command = `ulimit -n ${limit} 2>/dev/null; exec "${process.execPath}" --expose-gc "${self}" ${args.join(' ')}`;
  const proc = spawnChild('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  proc.stderrText = '';
  proc.stdout.on('data', (d) => process.stdout.write(d));
  proc.stderr.on('data', (d) => {
    proc.stderrText += d;
    process.stderr.write(d);
  });
  return proc;
}

function message(proc, key, ms = 600_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${key} from the child within ${ms} ms`)), ms);
    const onMessage = (m) => {
      if (m && key in m) {
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        clearTimeout(timer);
        resolve(m[key]);
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before sending ${key}`));
    };
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

/** One echo exchange and one HTTP request through the upstream, from here. */
async function finalRequests(echoPort, httpPort) {
  const s = net.connect(echoPort, '127.0.0.1');
  await once(s, 'connect');
  const msg = bytesAt(7, 0, 100_000);
  s.end(msg);
  const chunks = [];
  for await (const d of s) chunks.push(d);
  const echoed = Buffer.concat(chunks).equals(msg);
  const body = await new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: httpPort, path: '/upstream?n=final', agent: false }, (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  return { echoed, httpAnswered: body === 'up:final' };
}

const mb = (n) => Math.round(n / 1048576);

function settings(argv) {
  const short = argv.includes('--short') || process.env.SOAK_SHORT === '1';
  const arg = (name) => {
    const at = argv.indexOf(name);
    return at >= 0 ? Number(argv[at + 1]) : undefined;
  };
  return {
    short,
    seconds: arg('--seconds') ?? Number(process.env.SOAK_SECONDS || (short ? 20 : 300)),
    connections: arg('--connections') ?? Number(process.env.SOAK_CONNECTIONS || (short ? 2_000 : 10_000)),
  };
}

async function driver(argv) {
  const { short, seconds, ...rest } = settings(argv);
  let { connections } = rest;
  const json = argv.includes('--json');
  const thinkMs = Number(process.env.SOAK_THINK_MS || 1000);
  const stormSize = Number(process.env.SOAK_STORM_THREADS || (short ? 500 : 2_000));
  const warmupSeconds = Math.max(5, Math.round(seconds / 5));
  const hard = execFileSync('/bin/sh', ['-c', 'ulimit -Hn']).toString().trim();
  const hardN = hard === 'unlimited' ? 1_048_576 : Number(hard);
  const limit = Math.min(hardN, 1_048_576);
  let note = '';
  // The server holds every connection plus upstream sockets; the load every connection.
  if (connections + 500 > limit) {
    note = `scaled down from ${connections}: the fd hard limit is ${hard}`;
    connections = Math.max(100, limit - 500);
  }

  const server = child(['server'], limit);
  const { echoPort, httpPort } = await message(server, 'ready', 30_000);
  const load = child(['load', echoPort, httpPort, connections, seconds, thinkMs], limit);
  await message(load, 'loading', 30_000);
  server.send({ cmd: 'storms', size: stormSize });
  const t0 = Date.now();
  const loadResult = await message(load, 'load', (seconds + 120) * 1000);
  const loadSeconds = (Date.now() - t0) / 1000;
  server.send({ cmd: 'stop-storms' });
  await message(server, 'stormsStopped', 60_000);

  // Wait (bounded) for every green thread to end now the load has gone.
  let state;
  for (let i = 0; i < 100; i++) {
    server.send({ cmd: 'state' });
    state = await message(server, 'state', 10_000);
    const { echo, http: h, storm } = state.live;
    if (echo + h + storm === 0) break;
    await delay(100);
  }
  const finalCheck = await finalRequests(echoPort, httpPort).catch((e) => ({ error: String(e) }));
  server.send({ cmd: 'finish' });
  const final = await message(server, 'final', 30_000);
  server.send({ cmd: 'stop' });
  const exitedBySelf = await Promise.race([once(server, 'exit').then(([code]) => code === 0), delay(15_000).then(() => false)]);
  server.kill('SIGKILL');
  load.kill('SIGKILL');

  const samples = final.samples;
  const warm = samples.filter((s) => s.t >= samples[0].t + warmupSeconds && s.t <= samples[0].t + seconds);
  const afterWarmup = warm[0] ?? samples[samples.length - 1];
  const lastUnderLoad = warm[warm.length - 1] ?? afterWarmup;
  const result = {
    node: process.version,
    seconds,
    loadSeconds: Math.round(loadSeconds),
    connections,
    note,
    fdLimit: limit,
    stormSize,
    clientMaxOpen: loadResult.maxOpen,
    clientMinOpenAfterWarmup: loadResult.minOpenAfterWarmup,
    serverMaxLive: final.maxLive,
    sessions: loadResult.sessions,
    bytesSent: loadResult.bytesSent,
    bytesChecked: loadResult.bytesChecked,
    serverBytesEchoed: final.counters.echoBytes,
    requestsSent: loadResult.requestsSent,
    requestsAnswered: loadResult.requestsAnswered,
    requestsUnansweredOnPurpose: loadResult.requestsUnansweredOnPurpose,
    requestsClosedAfterHalfClose: loadResult.requestsClosedAfterHalfClose,
    requestsClosedByError: loadResult.requestsClosedByError,
    connectsOverDeadline: loadResult.connectsOverDeadline,
    serverRequests: final.counters.httpRequests,
    resets: loadResult.resets,
    vanished: loadResult.vanished,
    connectErrors: loadResult.connectErrors,
    echoEnds: final.counters.echoEnds,
    httpEnds: final.counters.httpEnds,
    storms: final.counters.storms,
    stormThreads: final.counters.stormThreads,
    killsChecked: final.counters.killsChecked,
    timeoutsChecked: final.counters.timeoutsChecked,
    threadsLeft: final.live.echo + final.live.http + final.live.storm,
    liveAtEnd: final.live,
    fibersCreated: final.fibersCreated,
    rss: {
      start: mb(samples[0].rss),
      afterWarmup: mb(afterWarmup.rss),
      lastUnderLoad: mb(lastUnderLoad.rss),
      maxAfterWarmup: mb(Math.max(...warm.map((s) => s.rss), afterWarmup.rss)),
      minAfterWarmup: mb(Math.min(...warm.map((s) => s.rss), afterWarmup.rss)),
      endIdleAfterGc: mb(samples[samples.length - 1].rss),
      heapAfterWarmup: mb(afterWarmup.heap),
      heapLastUnderLoad: mb(lastUnderLoad.heap),
    },
    rssSeries: samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 30)) === 0).map((s) => `${Math.round(s.t)}s:${mb(s.rss)}MB/${s.sockets}`),
    finalCheck,
    serverExitedBySelf: exitedBySelf,
    serverStderr: server.stderrText,
    loadStderr: load.stderrText,
    failures: { ...final.counters.failures, ...Object.fromEntries(Object.entries(loadResult.failures).map(([k, v]) => [`client ${k}`, v])) },
    failureSamples: [...final.counters.failureSamples, ...loadResult.failureSamples],
  };
  const ok =
    Object.keys(result.failures).length === 0 &&
    result.threadsLeft === 0 &&
    finalCheck.echoed === true &&
    finalCheck.httpAnswered === true &&
    exitedBySelf &&
    result.serverStderr === '' &&
    result.loadStderr === '';
  result.ok = ok;
  if (json) {
    console.log(JSON.stringify(result));
  } else {
    const r = result;
    console.log(`node ${r.node}; ${r.connections} connections${r.note ? ` (${r.note})` : ''} for ${r.seconds} s (load ran ${r.loadSeconds} s); fd limit ${r.fdLimit}`);
    console.log('| measure | value |');
    console.log('| --- | ---: |');
    const row = (k, v) => console.log(`| ${k} | ${v} |`);
    row('open client connections, most / fewest after warm-up', `${r.clientMaxOpen} / ${r.clientMinOpenAfterWarmup}`);
    row('server green threads at once, echo / http requests / http sockets', `${r.serverMaxLive.echo} / ${r.serverMaxLive.http} / ${r.serverMaxLive.httpSockets}`);
    row('sessions', Object.entries(r.sessions).map(([k, v]) => `${k} ${v}`).join(', '));
    row('bytes sent / echoed and checked by clients', `${r.bytesSent} / ${r.bytesChecked}`);
    row('HTTP requests sent / answered and checked / dropped on purpose (reset, vanished) / closed after a half-close', `${r.requestsSent} / ${r.requestsAnswered} / ${r.requestsUnansweredOnPurpose} / ${r.requestsClosedAfterHalfClose}`);
    row('resets / vanished clients', `${r.resets} / ${r.vanished}`);
    row('echo handler ends', JSON.stringify(r.echoEnds));
    row('http handler ends', JSON.stringify(r.httpEnds));
    row('storms / storm threads / kills checked / timeouts checked', `${r.storms} / ${r.stormThreads} / ${r.killsChecked} / ${r.timeoutsChecked}`);
    row('RSS MB: start / after warm-up / last under load / max after warm-up / end (idle, after gc)', `${r.rss.start} / ${r.rss.afterWarmup} / ${r.rss.lastUnderLoad} / ${r.rss.maxAfterWarmup} / ${r.rss.endIdleAfterGc}`);
    row('heap used MB: after warm-up / last under load', `${r.rss.heapAfterWarmup} / ${r.rss.heapLastUnderLoad}`);
    row('green threads left at the end', r.threadsLeft);
    row('fibers created in all', r.fibersCreated);
    row('final echo / final HTTP request', `${r.finalCheck.echoed} / ${r.finalCheck.httpAnswered}${r.finalCheck.error ? ` (${r.finalCheck.error})` : ''}`);
    row('server ended by itself after close', r.serverExitedBySelf);
    row('connect errors / connects still pending after 60 s', `${JSON.stringify(r.connectErrors)} / ${r.connectsOverDeadline}`);
    row('HTTP requests whose connection was reset or timed out before the answer', JSON.stringify(r.requestsClosedByError));
    row('failures', JSON.stringify(r.failures));
    console.log(`RSS over time (MB / open sockets): ${r.rssSeries.join(' ')}`);
    for (const f of r.failureSamples) console.log(`  ${f}`);
    console.log(ok ? 'soak: ok' : 'soak: FAILED');
  }
  return ok;
}

const [, , role, ...rest] = process.argv;
if (role === 'server') {
  await serverRole();
} else if (role === 'load') {
  const [echoPort, httpPort, connections, seconds, thinkMs] = rest.map(Number);
  await loadRole(echoPort, httpPort, connections, seconds, thinkMs);
  setTimeout(() => process.exit(0), 100);
} else {
  const argv = process.argv.slice(2);
  const guard = setTimeout(() => {
    console.log('soak: time bound reached, stopping');
    process.exit(1);
  }, (settings(argv).seconds + 300) * 1000);
  guard.unref();
  const ok = await driver(argv);
  process.exit(ok ? 0 : 1);
}
