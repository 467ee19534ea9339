// patch / patchAll / unpatch / isPatched / getOriginal in place: CJS and ESM
// references, references taken before patching, idempotence, reverting, and
// ordinary code mixed with green code in one patched process.
import test from 'ava';
import { createRequire } from 'node:module';
import { EventEmitter, once } from 'node:events';
import { promisify } from 'node:util';
import dnsDefault, { lookup as esmLookup } from 'node:dns';
import * as netNamespace from 'node:net';
import fsDefault, { readFileSync as esmReadFileSync } from 'node:fs';
import { getCurrent, getOriginal, isPatched, patch, patchAll, patch_all, patchNames, sleep, unpatch } from 'greenpatch';
import { green } from './helpers/green.mjs';

const require = createRequire(import.meta.url);
const net = require('net');
const http = require('node:http');
// Taken before patching: must see the green behaviour afterwards.
const { createServer: savedCreateServer } = require('net');
const stockLookup = esmLookup;
const stockReadFileSync = esmReadFileSync;

test.serial.beforeEach((t) => t.timeout(20_000));

test.serial('before patching, nothing is patched and getOriginal is the current value', (t) => {
  for (const name of ['net', 'dns', 'http', 'https']) t.false(isPatched(name));
  t.is(getOriginal('dns', 'lookup'), stockLookup);
  t.is(getOriginal('net', 'Server.prototype.emit'), EventEmitter.prototype.emit);
  t.is(net.connectSync, undefined);
  t.true(patchNames().includes('net'));
});

test.serial('unknown names throw ERR_GREENPATCH_UNKNOWN_PATCH', (t) => {
  t.is(t.throws(() => patch({ bogus: true })).code, 'ERR_GREENPATCH_UNKNOWN_PATCH');
  t.is(t.throws(() => patchAll({ bogus: false })).code, 'ERR_GREENPATCH_UNKNOWN_PATCH');
  t.is(t.throws(() => isPatched('bogus')).code, 'ERR_GREENPATCH_UNKNOWN_PATCH');
  t.false(isPatched('net'));
});

test.serial('patch({ net, dns }) patches those only; patchAll the rest; both are idempotent', (t) => {
  t.deepEqual(patch({ net: true, dns: true, http: false }), ['net', 'dns']);
  t.true(isPatched('net'));
  t.false(isPatched('http'));
  t.deepEqual(patch({ net: true }), []);
  const rest = patchAll();
  t.true(rest.includes('http') && rest.includes('https'));
  t.false(rest.includes('net'));
  t.deepEqual(patch_all(), []);
  t.is(patch_all, patchAll);
});

test.serial('require("net"), require("node:net"), import * and import default all see the patch', (t) => {
  t.is(typeof net.connectSync, 'function');
  t.is(require('node:net').connectSync, net.connectSync);
  t.is(process.getBuiltinModule?.('net')?.connectSync ?? net.connectSync, net.connectSync);
  t.is(typeof netNamespace.default.connectSync, 'function');
  t.is(typeof http.getSync, 'function');
  // ESM named bindings of replaced exports are live (syncBuiltinESMExports).
  t.true(isPatched('fs'));
  t.is(esmReadFileSync, fsDefault.readFileSync);
  t.not(esmReadFileSync, stockReadFileSync);
  t.is(getOriginal('fs', 'readFileSync'), stockReadFileSync);
  // dns keeps Node's functions; the patch adds the *Sync family.
  t.is(esmLookup, stockLookup);
  t.is(typeof dnsDefault.lookupSync, 'function');
  t.is(getOriginal('net', 'Server.prototype.emit'), EventEmitter.prototype.emit);
  t.not(net.Server.prototype.emit, EventEmitter.prototype.emit);
});

test.serial('the ESM-imported lookup keeps Node’s contract in a green thread; lookupSync blocks it', async (t) => {
  const result = await green(() => [t.throws(() => esmLookup('localhost', { family: 4 })).code, dnsDefault.lookupSync('localhost', { family: 4 })]);
  t.deepEqual(result, ['ERR_INVALID_ARG_TYPE', { address: '127.0.0.1', family: 4 }]);
});

test.serial("servers from a createServer taken before patching run 'connection' listeners in green threads", async (t) => {
  const server = savedCreateServer((socket) => {
    const thread = getCurrent();
    const line = socket.readLine();
    sleep(5);
    socket.end(`${line} ${thread !== undefined}\n`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reply = await green(() => {
    const c = net.connectSync(server.address().port, '127.0.0.1');
    c.sendall('hi\n');
    return c.readLine();
  });
  t.is(reply, 'hi true');
  server.close();
});

test.serial("patched http servers run 'request' listeners in green threads; a stock client reads them", async (t) => {
  const server = http.createServer((req, res) => {
    sleep(5);
    res.end(`green ${getCurrent() !== undefined}`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  t.is(await (await fetch(url)).text(), 'green true');
  t.is(await green(() => http.getSync(url).text()), 'green true');
  server.close();
});

test.serial("patched TLS servers run 'secureConnection' listeners in green threads", async (t) => {
  const tls = require('node:tls');
  const { readFileSync } = require('node:fs');
  const key = readFileSync(new URL('./fixtures/key.pem', import.meta.url));
  const cert = readFileSync(new URL('./fixtures/cert.pem', import.meta.url));
  const server = tls.createServer({ key, cert }, (socket) => {
    const line = socket.readLine(); // blocks this connection's green thread
    socket.end(`${line} over tls ${getCurrent() !== undefined}\n`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reply = await green(() => {
    const socket = tls.connect({ port: server.address().port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
    socket.sendall('hi\n');
    return socket.readLine();
  });
  t.is(reply, 'hi over tls true');
  server.close();
});

test.serial('ordinary code in the patched process behaves as stock: callbacks, events, promisify', async (t) => {
  const server = net.createServer((s) => s.end('plain'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect(server.address().port, '127.0.0.1');
  let text = '';
  socket.on('data', (d) => (text += d));
  await once(socket, 'end');
  t.is(text, 'plain');
  server.close();
  const viaCallback = await new Promise((resolve, reject) =>
    dnsDefault.lookup('localhost', { family: 4 }, (e, address, family) => (e ? reject(e) : resolve({ address, family }))),
  );
  t.deepEqual(viaCallback, { address: '127.0.0.1', family: 4 });
  t.deepEqual(await promisify(dnsDefault.lookup)('localhost', { family: 4 }), viaCallback);
  t.is(t.throws(() => dnsDefault.lookup('localhost')).code, 'ERR_INVALID_ARG_TYPE');
  const status = await new Promise((resolve) => {
    const s = http.createServer((req, res) => res.end('ok'));
    s.listen(0, '127.0.0.1', () =>
      http.get(`http://127.0.0.1:${s.address().port}/`, (res) => {
        res.resume();
        res.on('end', () => {
          s.close();
          resolve(res.statusCode);
        });
      }),
    );
  });
  t.is(status, 200);
});

test.serial('unpatch restores every export and member, and the ESM bindings', (t) => {
  const reverted = unpatch('net', 'dns', 'http', 'https');
  t.deepEqual(reverted.sort(), ['dns', 'http', 'https', 'net']);
  t.false(isPatched('net'));
  t.is(net.connectSync, undefined);
  t.is(http.getSync, undefined);
  t.false(Object.prototype.hasOwnProperty.call(net.Server.prototype, 'emit'));
  t.is(dnsDefault.lookup, stockLookup);
  t.is(esmLookup, stockLookup);
  t.deepEqual(unpatch('net'), []);
  // And it can be patched again.
  t.deepEqual(patch({ net: true }), ['net']);
  t.is(typeof net.connectSync, 'function');
  unpatch();
  t.false(isPatched('net'));
});
