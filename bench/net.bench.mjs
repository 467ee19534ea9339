// Green servers against stock Node's, under the same load generated in the
// same run, each server in a process of its own and the load from another:
//
// - echo: 10,000 concurrent connections, each a ping-pong of 32-byte
//   messages. Stock: `socket.on('data', d => socket.write(d))`. Green: the
//   eventlet echo server (listen + serve, one green thread per client, a
//   blocking recv/sendall loop).
// - http: keep-alive clients, one request in flight each. Stock `http` vs a
//   green http server, with a handler that answers at once, and with one
//   that waits one event-loop turn (stock: setImmediate; green: a blocking
//   sleep(0)).
//
// Prints requests per second, the server's CPU time per request, and the
// green/stock ratios of both (on a shared machine the CPU ratio is the
// steadier one: load from other work changes how long each side waits for
// a CPU, not how much CPU a request takes).
// `node bench/net.bench.mjs [seconds] [echoConnections]`; NET_CASES picks
// cases by id (echo, http, http-turn, http-1000-turn; comma-separated), and
// GREENPATCH_SWITCH reaches the green servers as any environment does.
// The echo load needs ~10,000 file descriptors per process: the soft limit is
// raised to the hard one for the children (ulimit -n); when the hard limit is
// lower, the connection count is scaled down and the table says so.
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

import { measure as measureServer, message } from './server-load.mjs';

const self = fileURLToPath(import.meta.url);
const greenpatch = fileURLToPath(new URL('../packages/greenpatch/dist/index.js', import.meta.url));
const greenHttp = fileURLToPath(new URL('../packages/greenpatch/dist/green/http.js', import.meta.url));
const [, , role, ...rest] = process.argv;

// ---------------------------------------------------------------- servers

function reportCpuOnSignal(server) {
  const start = process.cpuUsage();
  process.on('message', (m) => {
    if (m === 'cpu-start') Object.assign(start, process.cpuUsage());
    if (m === 'cpu') {
      const u = process.cpuUsage(start);
      process.send({ cpu: (u.user + u.system) / 1e6 });
    }
    if (m === 'stop') {
      server.close();
      process.exit(0);
    }
  });
}

async function serverRole(kind) {
  const { createRequire } = await import('node:module');
  const require = createRequire(self);
  let server;
  if (kind === 'echo-stock') {
    server = net.createServer((s) => {
      s.on('data', (d) => s.write(d));
      s.on('error', () => {});
    });
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.send({ port: server.address().port }));
  } else if (kind === 'echo-green') {
    const { listen, serve, spawn: greenSpawn } = require(greenpatch);
    greenSpawn(() => {
      server = listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
      process.send({ port: server.address().port });
      reportCpuOnSignal(server);
      serve(
        server,
        (socket) => {
          try {
            for (;;) {
              const data = socket.recv();
              if (data.length === 0) break;
              socket.sendall(data);
            }
          } catch {
            // a client reset: that client is done
          }
        },
        { concurrency: 100_000 },
      );
    });
    return;
  } else {
    const waitTurn = kind.endsWith('-turn');
    if (kind.startsWith('http-stock')) {
      const http = require('node:http');
      server = http.createServer(
        waitTurn ? (req, res) => setImmediate(() => res.end('hello')) : (req, res) => res.end('hello'),
      );
    } else {
      const { sleep } = require(greenpatch);
      const ghttp = require(greenHttp);
      server = ghttp.createServer(
        waitTurn
          ? (req, res) => {
              sleep(0); // blocks this request's green thread for one hub turn
              res.end('hello');
            }
          : (req, res) => res.end('hello'),
      );
    }
    server.keepAliveTimeout = 60_000;
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.send({ port: server.address().port }));
  }
  reportCpuOnSignal(server);
}

// ---------------------------------------------------------------- load

async function connectAll(port, count) {
  const sockets = [];
  const batch = 500;
  for (let i = 0; i < count; i += batch) {
    const group = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const s = net.connect(port, '127.0.0.1');
      s.setNoDelay(true);
      s.on('error', () => {});
      group.push(once(s, 'connect').then(() => s));
    }
    sockets.push(...(await Promise.all(group)));
  }
  return sockets;
}

async function loadEcho(port, count, seconds) {
  const sockets = await connectAll(port, count);
  const message = Buffer.alloc(32, 'x');
  let counting = false;
  let done = 0;
  for (const s of sockets) {
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      while (got >= message.length) {
        got -= message.length;
        if (counting) done++;
        s.write(message);
      }
    });
    s.write(message);
  }
  return measure(seconds, () => (counting = true), () => done, sockets);
}

async function loadHttp(port, count, seconds) {
  const sockets = await connectAll(port, count);
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
  const marker = '\r\n\r\nhello';
  let counting = false;
  let done = 0;
  for (const s of sockets) {
    let tail = '';
    s.setEncoding('latin1');
    s.on('data', (d) => {
      const text = tail + d;
      let at = text.indexOf(marker);
      let last = -1;
      while (at >= 0) {
        if (counting) done++;
        s.write(request);
        last = at + marker.length;
        at = text.indexOf(marker, last);
      }
      tail = text.slice(Math.max(last, text.length - marker.length + 1));
    });
    s.write(request);
  }
  return measure(seconds, () => (counting = true), () => done, sockets);
}

async function measure(seconds, begin, count, sockets) {
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  process.send({ measuring: true });
  begin();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const n = count();
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const s of sockets) s.destroy();
  return n / elapsed;
}

// ---------------------------------------------------------------- driver

function child(args, limit) {
  // Raise the soft fd limit in the child's shell, then exec node with IPC.
  const command = `ulimit -n ${limit} 2>/dev/null; exec "${process.execPath}" "${self}" ${args.join(' ')}`;
  return spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}


async function run(serverKind, loadKind, connections, seconds, limit) {
  const server = child(['server', serverKind], limit);
  const port = await message(server, 'port');
  const load = child(['load', loadKind, String(port), String(connections), String(seconds)], limit);
  const { rate, cpuPerOp } = await measureServer(server, load, seconds);
  return { rate, cpuPerRequest: cpuPerOp };
}

async function main(args) {
  const seconds = Number(args[0] ?? 4);
  let echoConnections = Number(args[1] ?? 10_000);
  const hard = Number(execFileSync('/bin/sh', ['-c', 'ulimit -Hn']).toString().trim()) || 1024;
  const limit = Math.min(hard, 65_536);
  let note = '';
  if (echoConnections + 200 > limit) {
    note = ` (scaled down from ${echoConnections}: the fd hard limit is ${hard})`;
    echoConnections = Math.max(100, limit - 200);
  }
  const only = process.env.NET_CASES?.split(',');
  const cases = [
    ['echo', 'echo', `${echoConnections} connections${note}`, 'echo-stock', 'echo-green', 'echo', echoConnections],
    ['http', 'http', '100 keep-alive connections, handler answers at once', 'http-stock', 'http-green', 'http', 100],
    ['http-turn', 'http', '100 keep-alive connections, handler waits one turn', 'http-stock-turn', 'http-green-turn', 'http', 100],
    ['http-1000-turn', 'http', '1000 keep-alive connections, handler waits one turn', 'http-stock-turn', 'http-green-turn', 'http', 1000],
  ]
    .filter(([id]) => !only || only.includes(id))
    .map(([, ...rest]) => rest);
  const path = process.env.GREENPATCH_SWITCH ? `, GREENPATCH_SWITCH=${process.env.GREENPATCH_SWITCH}` : '';
  console.log(`node ${process.version}${path}, ${seconds} s per measurement after 1 s of warm-up; two rounds, best of each`);
  console.log('| case | stock req/s | green req/s | green/stock | stock µs CPU/req | green µs CPU/req | stock/green CPU per req |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const ratios = [];
  for (const [name, label, stockKind, greenKind, loadKind, connections] of cases) {
    const best = { stock: undefined, green: undefined };
    for (let round = 0; round < 2; round++) {
      for (const [side, kind] of round === 0 ? [['stock', stockKind], ['green', greenKind]] : [['green', greenKind], ['stock', stockKind]]) {
        const r = await run(kind, loadKind, connections, seconds, limit);
        if (best[side] === undefined || r.rate > best[side].rate) best[side] = r;
      }
    }
    const ratio = best.green.rate / best.stock.rate;
    ratios.push(ratio);
    console.log(
      `| ${name}: ${label} | ${best.stock.rate.toFixed(0)} | ${best.green.rate.toFixed(0)} | ${ratio.toFixed(2)} | ${(best.stock.cpuPerRequest * 1e6).toFixed(1)} | ${(best.green.cpuPerRequest * 1e6).toFixed(1)} | ${(best.stock.cpuPerRequest / best.green.cpuPerRequest).toFixed(2)} |`,
    );
  }
  console.log(`lowest green/stock throughput ratio: ${Math.min(...ratios).toFixed(2)} (target 0.9)`);
}

if (role === 'server') {
  await serverRole(rest[0]);
} else if (role === 'load') {
  const [kind, port, connections, seconds] = rest;
  const rate = await (kind === 'echo' ? loadEcho : loadHttp)(Number(port), Number(connections), Number(seconds));
  process.send({ rate });
  setTimeout(() => process.exit(0), 100);
} else {
  const guard = setTimeout(() => {
    console.log('net bench: time bound reached, stopping');
    process.exit(1);
  }, 8 * 60 * 1000);
  guard.unref();
  await main(process.argv.slice(2));
  process.exit(0);
}
