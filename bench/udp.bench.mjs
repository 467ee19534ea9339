// UDP echo on loopback: green servers against stock Node's, under the same
// load generated in the same run, each server in a process of its own and
// the load from another:
//
// - stock: `socket.on('message', (d, r) => socket.send(d, r.port, r.address))`
// - green DatagramServer: a green thread per datagram, answering with a
//   blocking `server.sendSync`.
// - green recvfrom loop: one green thread, `recvfrom` then `sendSync`.
//
// The load: 64 client sockets, each with 4 datagrams of 32 bytes in flight,
// sending the next as each answer comes (a datagram lost on the way is sent
// again after 200 ms of silence). Prints answers per second, the server's CPU
// time per answer, and the green/stock ratios. Stops by itself.
// `node bench/udp.bench.mjs [seconds]`.
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';

import { measure, message } from './server-load.mjs';

const self = fileURLToPath(import.meta.url);
const greenpatch = fileURLToPath(new URL('../packages/greenpatch/dist/index.js', import.meta.url));
const [, , role, ...rest] = process.argv;

async function serverRole(kind) {
  const { createRequire } = await import('node:module');
  const require = createRequire(self);
  const start = process.cpuUsage();
  let close;
  const ready = (port) => process.send({ port });
  if (kind === 'stock') {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (data, rinfo) => socket.send(data, rinfo.port, rinfo.address));
    socket.bind(0, '127.0.0.1', () => ready(socket.address().port));
    close = () => socket.close();
  } else {
    const { DatagramServer, spawn } = require(greenpatch);
    spawn(() => {
      if (kind === 'green-server') {
        const server = new DatagramServer('127.0.0.1:0', (data, rinfo, s) => s.sendSync(data, rinfo.port, rinfo.address), {
          concurrency: 10_000,
        });
        server.start();
        close = () => server.stop(0);
        ready(server.address.port);
      } else {
        const socket = dgram.createSocket('udp4');
        socket.bindSync({ address: '127.0.0.1' });
        close = () => socket.close();
        ready(socket.address().port);
        try {
          for (;;) {
            const { data, port, address } = socket.recvfrom();
            socket.sendSync(data, port, address);
          }
        } catch {
          // closed: done
        }
      }
    });
  }
  process.on('message', (m) => {
    if (m === 'cpu-start') Object.assign(start, process.cpuUsage());
    if (m === 'cpu') {
      const u = process.cpuUsage(start);
      process.send({ cpu: (u.user + u.system) / 1e6 });
    }
    if (m === 'stop') {
      close?.();
      setTimeout(() => process.exit(0), 50);
    }
  });
}

async function loadRole(port, seconds) {
  const sockets = 64;
  const window = 4;
  const message = Buffer.alloc(32, 'x');
  let counting = false;
  let answers = 0;
  const all = [];
  for (let i = 0; i < sockets; i++) {
    const socket = dgram.createSocket('udp4');
    await new Promise((r) => socket.bind(0, '127.0.0.1', r));
    let last = Date.now();
    socket.on('message', () => {
      last = Date.now();
      if (counting) answers++;
      socket.send(message, port, '127.0.0.1');
    });
    const resend = setInterval(() => {
      if (Date.now() - last > 200) {
        last = Date.now();
        socket.send(message, port, '127.0.0.1');
      }
    }, 100);
    all.push({ socket, resend });
    for (let w = 0; w < window; w++) socket.send(message, port, '127.0.0.1');
  }
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  process.send({ measuring: true });
  counting = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const n = answers;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const { socket, resend } of all) {
    clearInterval(resend);
    socket.close();
  }
  return n / elapsed;
}


async function run(kind, seconds) {
  const server = fork(self, ['server', kind], { stdio: 'inherit' });
  const port = await message(server, 'port');
  const load = fork(self, ['load', String(port), String(seconds)], { stdio: 'inherit' });
  const { rate, cpuPerOp } = await measure(server, load, seconds);
  return { rate, cpuPerAnswer: cpuPerOp };
}

async function main(args) {
  const seconds = Number(args[0] ?? 3);
  const kinds = [
    ['stock', "stock dgram, 'message' listener"],
    ['green-server', 'green DatagramServer (a thread per datagram, sendSync)'],
    ['green-loop', 'green recvfrom/sendSync loop in one thread'],
  ];
  console.log(`node ${process.version}, ${seconds} s per measurement after 1 s of warm-up; two rounds, best of each`);
  const best = {};
  for (let round = 0; round < 2; round++) {
    for (const [kind] of round === 0 ? kinds : [...kinds].reverse()) {
      const r = await run(kind, seconds);
      if (best[kind] === undefined || r.rate > best[kind].rate) best[kind] = r;
    }
  }
  console.log('| server | answers/s | green/stock | µs CPU/answer |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [kind, label] of kinds) {
    const r = best[kind];
    console.log(`| ${label} | ${r.rate.toFixed(0)} | ${(r.rate / best.stock.rate).toFixed(2)} | ${(r.cpuPerAnswer * 1e6).toFixed(1)} |`);
  }
}

if (role === 'server') {
  await serverRole(rest[0]);
} else if (role === 'load') {
  const rate = await loadRole(Number(rest[0]), Number(rest[1]));
  process.send({ rate });
  setTimeout(() => process.exit(0), 100);
} else {
  const guard = setTimeout(() => {
    console.log('udp bench: time bound reached, stopping');
    process.exit(1);
  }, 3 * 60 * 1000);
  guard.unref();
  await main(process.argv.slice(2));
  process.exit(0);
}
