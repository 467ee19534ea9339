// greenpatch/green/dns: callback-less calls return their result inside a
// green thread, the *Sync family, Resolver; Node's behaviour elsewhere. No
// network: 'localhost' comes from /etc/hosts, the resolve* family from a
// tiny DNS server on loopback.
import test from 'ava';
import dns from 'node:dns';
import { promisify } from 'node:util';
import * as gdns from 'greenpatch/green/dns';
import { green } from './helpers/green.mjs';
import { startDnsServer } from './helpers/dns-server.mjs';

test.beforeEach((t) => t.timeout(20_000));

let server;
test.before(async () => {
  server = await startDnsServer({ 'app.test': ['10.1.2.3', '10.1.2.4'], 'one.test': ['192.0.2.1'] });
  gdns.setServers([server.address]);
});
test.after.always(() => server?.close());

test('lookupSync and callback-less lookup return what dns.promises.lookup returns', async (t) => {
  const expected = await dns.promises.lookup('localhost', { family: 4 });
  const expectedAll = await dns.promises.lookup('localhost', { all: true });
  const got = await green(() => [
    gdns.lookupSync('localhost', { family: 4 }),
    gdns.lookup('localhost', { family: 4 }),
    gdns.lookup('localhost', 4),
    gdns.lookupSync('localhost', { all: true }),
  ]);
  t.deepEqual(got, [expected, expected, expected, expectedAll]);
});

test('with a callback, lookup is Node’s own, inside and outside green threads', async (t) => {
  const viaCallback = () =>
    new Promise((resolve, reject) =>
      gdns.lookup('localhost', { family: 4 }, (error, address, family) => (error ? reject(error) : resolve([address, family]))),
    );
  t.deepEqual(await viaCallback(), ['127.0.0.1', 4]);
  const returned = await green(() => gdns.lookup('localhost', { family: 4 }, () => {}));
  t.is(returned.constructor, dns.lookup('localhost', { family: 4 }, () => {}).constructor);
});

test('outside a green thread: lookup without a callback throws Node’s error, lookupSync ours', (t) => {
  const stock = t.throws(() => dns.lookup('localhost'));
  t.is(t.throws(() => gdns.lookup('localhost')).code, stock.code);
  t.is(t.throws(() => gdns.lookupSync('localhost')).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
  t.is(t.throws(() => gdns.resolve4Sync('app.test')).code, 'ERR_GREENPATCH_BLOCKING_ON_HUB');
});

test('lookup errors are Node’s, thrown in the green thread', async (t) => {
  const error = await green(() => t.throws(() => gdns.lookupSync('localhost', { family: 7 })));
  t.is(error.code, 'ERR_INVALID_ARG_VALUE');
});

test('resolve4Sync, resolveSync and callback-less resolve4 against a local DNS server', async (t) => {
  const got = await green(() => [
    gdns.resolve4Sync('app.test'),
    gdns.resolve4('app.test'),
    gdns.resolveSync('one.test'),
    gdns.resolveSync('one.test', 'A'),
    gdns.resolve('app.test', 'A'),
    gdns.resolve4Sync('app.test', { ttl: true }),
  ]);
  t.deepEqual(got.slice(0, 5), [['10.1.2.3', '10.1.2.4'], ['10.1.2.3', '10.1.2.4'], ['192.0.2.1'], ['192.0.2.1'], ['10.1.2.3', '10.1.2.4']]);
  t.deepEqual(got[5], [
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

test('every callback-only function has a green version and a *Sync', (t) => {
  t.true(gdns.callbackFunctionNames.includes('lookup'));
  t.true(gdns.callbackFunctionNames.includes('resolveTxt'));
  for (const name of gdns.callbackFunctionNames) {
    t.is(typeof gdns[name], 'function', name);
    t.is(typeof gdns[`${name}Sync`], 'function', `${name}Sync`);
    t.is(gdns[name].name, name);
    t.is(gdns[name].length, dns[name].length);
  }
});

test('util.promisify still shapes lookup and lookupService results', async (t) => {
  t.deepEqual(await promisify(gdns.lookup)('localhost', { family: 4 }), { address: '127.0.0.1', family: 4 });
  t.deepEqual(await promisify(gdns.lookupService)('127.0.0.1', 22), await dns.promises.lookupService('127.0.0.1', 22));
});

test('lookupServiceSync returns { hostname, service }', async (t) => {
  const expected = await dns.promises.lookupService('127.0.0.1', 22);
  t.deepEqual(await green(() => gdns.lookupServiceSync('127.0.0.1', 22)), expected);
});

test('green Resolver: callback-less methods return inside a green thread, callbacks as before', async (t) => {
  const resolver = new gdns.Resolver();
  resolver.setServers([server.address]);
  t.true(resolver instanceof dns.Resolver);
  const sync = await green(() => [resolver.resolve4('one.test'), t.throws(() => resolver.resolve4('nope.test')).code]);
  t.deepEqual(sync, [['192.0.2.1'], 'ENOTFOUND']);
  const viaCallback = await new Promise((resolve) => resolver.resolve4('app.test', (e, a) => resolve(a)));
  t.deepEqual(viaCallback, ['10.1.2.3', '10.1.2.4']);
});

test.serial('dns.promises and the constants are Node’s; setServers keeps the green functions working', async (t) => {
  t.is(gdns.promises, dns.promises);
  t.is(gdns.NOTFOUND, dns.NOTFOUND);
  const other = await startDnsServer({ 'app.test': ['10.9.9.9'] });
  try {
    gdns.setServers([other.address]);
    t.deepEqual(dns.getServers(), [other.address]);
    t.deepEqual(await green(() => gdns.resolve4('app.test')), ['10.9.9.9']);
  } finally {
    gdns.setServers([server.address]);
    await other.close();
  }
  t.deepEqual(await green(() => gdns.resolve4('app.test')), ['10.1.2.3', '10.1.2.4']);
});

test('many lookups at once from many green threads', async (t) => {
  const results = await green(() => {
    const out = [];
    for (let i = 0; i < 20; i++) out.push(gdns.resolve4Sync('app.test')[0]);
    return out;
  });
  t.deepEqual(results, Array(20).fill('10.1.2.3'));
});
