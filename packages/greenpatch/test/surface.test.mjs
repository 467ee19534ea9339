// The package's public surface: every public name of node:X is exported by
// greenpatch/green/X (CommonJS and ESM alike: the ESM names come from a list
// written in each module's source, which a new Node may outgrow), internal
// modules do not resolve, and a wrapper an APM put on http.Server.prototype's
// emit before patching still runs once http is patched.
import test from 'ava';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { getCurrent, patch, unpatch, isPatched } from 'greenpatch';

const require = createRequire(import.meta.url);
const builtins = ['child_process', 'crypto', 'dgram', 'dns', 'fs', 'http', 'https', 'net', 'zlib'];

for (const name of builtins) {
  test(`greenpatch/green/${name} exports every public name of node:${name} (require and import)`, async (t) => {
    const stock = Object.keys(require(`node:${name}`)).filter((key) => !key.startsWith('_'));
    t.true(stock.length > 0);
    const cjs = require(`greenpatch/green/${name}`);
    const esm = await import(`greenpatch/green/${name}`);
    t.deepEqual(stock.filter((key) => !(key in cjs)), [], 'missing from require()');
    t.deepEqual(stock.filter((key) => !Object.prototype.hasOwnProperty.call(esm, key)), [], 'missing from import');
  });
}

test('greenpatch/green/atomics exports the green wait', async (t) => {
  t.is(typeof require('greenpatch/green/atomics').wait, 'function');
  t.is(typeof (await import('greenpatch/green/atomics')).wait, 'function');
});

test('internal modules are not exported', async (t) => {
  for (const name of ['runtime', 'sync', 'cooperative', 'stream-waiter', 'listeners', 'helpers', 'response', 'socket', 'internal/runtime', 'internal/datagram-server', 'dgram-socket']) {
    t.is(t.throws(() => require.resolve(`greenpatch/green/${name}`)).code, 'ERR_PACKAGE_PATH_NOT_EXPORTED', name);
    const error = await t.throwsAsync(import(`greenpatch/green/${name}`));
    t.is(error.code, 'ERR_PACKAGE_PATH_NOT_EXPORTED', name);
  }
});

test.serial('an emit wrapper put on http.Server.prototype before patching still runs, and listeners run in green threads', async (t) => {
  t.timeout(20_000);
  const http = require('node:http');
  t.false(isPatched('http'));
  const proto = http.Server.prototype;
  const before = Object.getOwnPropertyDescriptor(proto, 'emit');
  const inherited = proto.emit;
  const seen = [];
  // What an APM does: wrap emit on the prototype and call what it wrapped.
  proto.emit = function wrappedByApm(type, ...args) {
    if (type === 'request') seen.push('apm');
    return Reflect.apply(inherited, this, [type, ...args]);
  };
  patch({ http: true });
  const server = http.createServer((req, res) => {
    seen.push(getCurrent() === undefined ? 'listener on the hub' : 'listener in a green thread');
    res.end('ok');
  });
  try {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const res = await fetch(`http://127.0.0.1:${server.address().port}/`);
    t.is(await res.text(), 'ok');
    t.deepEqual(seen, ['apm', 'listener in a green thread']);
  } finally {
    server.close();
    unpatch('http');
    if (before === undefined) delete proto.emit;
    else Object.defineProperty(proto, 'emit', before);
  }
  t.is(proto.emit, inherited);
});
