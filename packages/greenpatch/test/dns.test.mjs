// greenpatch/green/dns: the added *Sync family (module functions and
// Resolver methods) blocks the green thread for the answer; Node's own
// functions keep Node's contract everywhere (without a callback they throw
// ERR_INVALID_ARG_TYPE and send nothing, inside green threads too). No
// network: 'localhost' comes from /etc/hosts, the resolve* family from a
// tiny DNS server on loopback.
import test from 'ava';
import dns from 'node:dns';
import { promisify } from 'node:util';
import { patch, unpatch } from 'greenpatch';
import * as gdns from 'greenpatch/green/dns';
import { green, turns } from './helpers/green.mjs';
import { startDnsServer } from './helpers/dns-server.mjs';

test.beforeEach((t) => t.timeout(20_000));

let server;
test.before(async () => {
  server = await startDnsServer({ 'app.test': ['10.1.2.3', '10.1.2.4'], 'one.test': ['192.0.2.1'] });
  dns.setServers([server.address]);
});
test.after.always(() => server?.close());

test('lookupSync returns what dns.promises.lookup returns', async (t) => {
  const expected = await dns.promises.lookup('localhost', { family: 4 });
  const expectedAll = await dns.promises.lookup('localhost', { all: true });
  const got = await green(() => [
    gdns.lookupSync('localhost', { family: 4 }),
    gdns.lookupSync('localhost', 4),
    gdns.lookupSync('localhost', { all: true }),
  ]);
  t.deepEqual(got, [expected, expected, expectedAll]);
});

test('lookup is Node’s own function, with and without a callback', async (t) => {
  t.is(gdns.lookup, dns.lookup);
  t.is(gdns.default.resolve4, dns.resolve4);
  const viaCallback = await green(
    () =>
      new Promise((resolve, reject) =>
        gdns.lookup('localhost', { family: 4 }, (error, address, family) => (error ? reject(error) : resolve([address, family]))),
      ),
  );
  t.deepEqual(await viaCallback, ['127.0.0.1', 4]);
});

test.serial('patched, inside a green thread: lookup and resolve* without a callback throw as stock and send no query', async (t) => {
  const stockLookup = t.throws(() => dns.lookup('localhost'));
  const stockNs = t.throws(() => dns.resolveNs(''));
  const stockResolver = t.throws(() => new dns.Resolver().resolve4('app.test'));
  patch({ dns: true });
  try {
    const before = server.queried.length;
    const inside = await green(() => {
      const codes = [];
      for (const call of [
        () => dns.lookup('localhost'),
        () => dns.lookup('app.test', { family: 4 }),
        () => dns.resolveNs(''),
        () => dns.resolve4('app.test'),
        () => dns.resolve('app.test', 'A'),
        () => dns.reverse('10.1.2.3'),
        () => new dns.Resolver().resolve4('app.test'),
      ]) {
        try {
          call();
          codes.push('returned');
        } catch (error) {
          codes.push(error.code);
        }
      }
      return codes;
    });
    await turns(3);
    t.is(stockLookup.code, 'ERR_INVALID_ARG_TYPE');
    t.deepEqual(inside, [stockLookup.code, stockLookup.code, stockNs.code, stockNs.code, stockNs.code, stockNs.code, stockResolver.code]);
    t.is(server.queried.length, before);
    // The blocking forms are the *Sync names, on dns and on Resolver instances.
    const resolver = new dns.Resolver();
    resolver.setServers([server.address]);
    t.deepEqual(await green(() => [dns.resolve4Sync('one.test'), resolver.resolve4Sync('one.test')]), [['192.0.2.1'], ['192.0.2.1']]);
  } finally {
    unpatch('dns');
  }
  t.is(dns.lookupSync, undefined);
  t.is(dns.Resolver.prototype.resolve4Sync, undefined);
});

test('outside a green thread: lookupSync throws ours, without sending anything', (t) => {
  const before = server.queried.length;
  t.is(t.throws(() => gdns.lookupSync('localhost')).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  t.is(t.throws(() => gdns.resolve4Sync('app.test')).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  t.is(server.queried.length, before);
});

test('lookupSync argument errors are Node’s, thrown synchronously in the green thread', async (t) => {
  const stock = t.throws(() => dns.lookup('localhost', { family: 7 }, () => {}));
  const error = await green(() => t.throws(() => gdns.lookupSync('localhost', { family: 7 })));
  t.is(error.code, 'ERR_INVALID_ARG_VALUE');
  t.is(error.message, stock.message);
  const ns = await green(() => t.throws(() => gdns.resolveNsSync(42)));
  t.is(ns.code, 'ERR_INVALID_ARG_TYPE');
});

test('resolve4Sync and resolveSync against a local DNS server', async (t) => {
  const got = await green(() => [
    gdns.resolve4Sync('app.test'),
    gdns.resolveSync('one.test'),
    gdns.resolveSync('one.test', 'A'),
    gdns.resolve4Sync('app.test', { ttl: true }),
  ]);
  t.deepEqual(got.slice(0, 3), [['10.1.2.3', '10.1.2.4'], ['192.0.2.1'], ['192.0.2.1']]);
  t.deepEqual(got[3], [
    { address: '10.1.2.3', ttl: 60 },
    { address: '10.1.2.4', ttl: 60 },
  ]);
});

test('resolve errors are Node’s (ENOTFOUND for NXDOMAIN)', async (t) => {
  const codes = await green(() => [
    t.throws(() => gdns.resolve4Sync('missing.test')).code,
    t.throws(() => gdns.resolveSync('missing.test')).code,
    t.throws(() => gdns.reverseSync('10.1.2.3')).code,
  ]);
  t.deepEqual(codes, ['ENOTFOUND', 'ENOTFOUND', 'ENOTFOUND']);
});

test('every callback-only function has a *Sync', (t) => {
  t.true(gdns.callbackFunctionNames.includes('lookup'));
  t.true(gdns.callbackFunctionNames.includes('resolveTxt'));
  for (const name of gdns.callbackFunctionNames) {
    t.is(gdns.default[name], dns[name], name);
    t.is(typeof gdns[`${name}Sync`], 'function', `${name}Sync`);
    t.is(gdns[`${name}Sync`].name, `${name}Sync`);
  }
});

test('util.promisify of lookup is untouched', async (t) => {
  t.deepEqual(await promisify(gdns.lookup)('localhost', { family: 4 }), { address: '127.0.0.1', family: 4 });
});

test('lookupServiceSync returns { hostname, service }', async (t) => {
  const expected = await dns.promises.lookupService('127.0.0.1', 22);
  t.deepEqual(await green(() => gdns.lookupServiceSync('127.0.0.1', 22)), expected);
});

test('green Resolver: *Sync methods block the green thread; its callback methods are Node’s', async (t) => {
  const resolver = new gdns.Resolver();
  resolver.setServers([server.address]);
  t.true(resolver instanceof dns.Resolver);
  t.is(resolver.resolve4, dns.Resolver.prototype.resolve4);
  const sync = await green(() => [resolver.resolve4Sync('one.test'), t.throws(() => resolver.resolve4Sync('nope.test')).code]);
  t.deepEqual(sync, [['192.0.2.1'], 'ENOTFOUND']);
  t.is(t.throws(() => resolver.resolve4('one.test')).code, 'ERR_INVALID_ARG_TYPE');
  const viaCallback = await new Promise((resolve) => resolver.resolve4('app.test', (e, a) => resolve(a)));
  t.deepEqual(viaCallback, ['10.1.2.3', '10.1.2.4']);
});

test.serial('dns.promises and the constants are Node’s; *Sync follow setServers', async (t) => {
  t.is(gdns.promises, dns.promises);
  t.is(gdns.NOTFOUND, dns.NOTFOUND);
  const other = await startDnsServer({ 'app.test': ['10.9.9.9'] });
  try {
    dns.setServers([other.address]);
    t.deepEqual(await green(() => gdns.resolve4Sync('app.test')), ['10.9.9.9']);
  } finally {
    dns.setServers([server.address]);
    await other.close();
  }
  t.deepEqual(await green(() => gdns.resolve4Sync('app.test')), ['10.1.2.3', '10.1.2.4']);
});

test('many lookups in a row from one green thread', async (t) => {
  const results = await green(() => {
    const out = [];
    for (let i = 0; i < 20; i++) out.push(gdns.resolve4Sync('app.test')[0]);
    return out;
  });
  t.deepEqual(results, Array(20).fill('10.1.2.3'));
});
