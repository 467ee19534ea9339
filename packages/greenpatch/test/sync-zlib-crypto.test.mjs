// Cooperative zlib and crypto *Sync: the patched functions inside a green
// thread give stock's values and errors for the same inputs, and let the
// event loop run while the work is on the thread pool.
import test from 'ava';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { patch, spawn, isPatched } from 'greenpatch';

const stockZlib = { ...zlib };
const stockCrypto = { ...crypto };
patch({ zlib: true, crypto: true });

test.beforeEach((t) => t.timeout(60_000));

function green(fn) {
  return new Promise((resolve, reject) => {
    const thread = spawn(fn);
    thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception)));
  });
}

function errorShape(e) {
  const shape = { class: e.constructor?.name, name: e.name, message: e.message, keys: Object.keys(e).sort() };
  for (const key of ['errno', 'code']) if (key in e) shape[key] = e[key];
  return shape;
}

function outcome(fn, shapeValue = (v) => v) {
  try {
    return { value: shapeValue(fn()) };
  } catch (error) {
    return { thrown: errorShape(error) };
  }
}

/** Compressible but not trivial: 256 KiB of words. */
const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `word${i % 977} `).join('')).subarray(0, 256 * 1024);
const hex = (v) => (Buffer.isBuffer(v) ? v.toString('hex') : v);

const zlibPairs = [
  ['deflateSync', 'inflateSync'],
  ['deflateRawSync', 'inflateRawSync'],
  ['gzipSync', 'gunzipSync'],
  ['gzipSync', 'unzipSync'],
  ['brotliCompressSync', 'brotliDecompressSync'],
  ['zstdCompressSync', 'zstdDecompressSync'],
].filter(([c, d]) => typeof stockZlib[c] === 'function' && typeof stockZlib[d] === 'function');

for (const [compress, decompress] of zlibPairs) {
  test.serial(`zlib ${compress} / ${decompress}: same bytes and same errors as stock`, async (t) => {
    const compressed = stockZlib[compress](text);
    const garbage = Buffer.alloc(4096, 0x5a);
    const calls = (z) => [
      ['compress', () => z[compress](text)],
      ['compress with options', () => z[compress](text, compress.startsWith('brotli') ? { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } } : { level: 1 })],
      ['compress a string', () => z[compress](text.toString())],
      ['compress a small input (stays inline)', () => z[compress]('tiny')],
      ['decompress', () => z[decompress](compressed)],
      ['decompress an ArrayBuffer', () => z[decompress](compressed.buffer.slice(compressed.byteOffset, compressed.byteOffset + compressed.length))],
      ['decompress garbage', () => z[decompress](garbage)],
      ['decompress truncated', () => z[decompress](compressed.subarray(0, compressed.length - 40))],
      ['decompress past maxOutputLength', () => z[decompress](compressed, { maxOutputLength: 1000 })],
      ['compress with invalid options', () => z[compress](text, { chunkSize: -1 })],
      ['compress an invalid input', () => z[compress](42)],
    ];
    const expected = calls(stockZlib).map(([label, fn]) => [label, outcome(fn, hex)]);
    const actual = await green(() => calls(zlib).map(([label, fn]) => [label, outcome(fn, hex)]));
    for (let i = 0; i < expected.length; i++) t.deepEqual(actual[i], expected[i], expected[i][0]);
  });
}

test.serial('zlib: the event loop runs while a large gzipSync is on the thread pool', async (t) => {
  const big = Buffer.concat(Array.from({ length: 64 }, () => text)); // 16 MiB
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  try {
    const result = await green(() => {
      const before = ticks;
      const out = zlib.gzipSync(big, { level: 9 });
      return { ticked: ticks - before, same: out.equals(stockZlib.gzipSync(big, { level: 9 })) };
    });
    t.true(result.same);
    t.true(result.ticked > 0);
  } finally {
    clearInterval(ticker);
  }
});

const keyShape = (k) =>
  typeof k === 'string'
    ? { pem: k.split('\n')[0] }
    : { type: k.type, asymmetricKeyType: k.asymmetricKeyType, details: k.asymmetricKeyDetails };
const pairShape = (v) => ({ keys: Object.keys(v), publicKey: keyShape(v.publicKey), privateKey: keyShape(v.privateKey) });

const cryptoCalls = (c) => [
  ['pbkdf2Sync', () => c.pbkdf2Sync('secret', 'salt', 20_000, 32, 'sha256'), hex],
  ['pbkdf2Sync with a TypedArray password', () => c.pbkdf2Sync(new Uint8Array([1, 2, 3]), 'salt', 10, 16, 'sha512'), hex],
  ['pbkdf2Sync unknown digest', () => c.pbkdf2Sync('secret', 'salt', 1, 32, 'no-such-digest'), hex],
  ['pbkdf2Sync negative keylen', () => c.pbkdf2Sync('secret', 'salt', 1, -1, 'sha256'), hex],
  ['scryptSync', () => c.scryptSync('secret', 'salt', 64), hex],
  ['scryptSync with options', () => c.scryptSync('secret', 'salt', 32, { N: 2048, r: 4, p: 2 }), hex],
  ['scryptSync N not a power of two', () => c.scryptSync('secret', 'salt', 32, { N: 1000 }), hex],
  ['scryptSync past maxmem', () => c.scryptSync('secret', 'salt', 32, { N: 2 ** 16, maxmem: 1024 }), hex],
  ['generateKeyPairSync rsa pem', () => c.generateKeyPairSync('rsa', {
    modulusLength: 1024,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }), pairShape],
  ['generateKeyPairSync ed25519 KeyObjects', () => c.generateKeyPairSync('ed25519'), pairShape],
  ['generateKeyPairSync ec', () => c.generateKeyPairSync('ec', { namedCurve: 'P-256' }), pairShape],
  ['generateKeyPairSync unknown type', () => c.generateKeyPairSync('nope', {}), pairShape],
  ['generateKeyPairSync bad modulusLength', () => c.generateKeyPairSync('rsa', { modulusLength: 'big' }), pairShape],
  ['generatePrimeSync size', () => c.generatePrimeSync(64, { bigint: true }).toString(2).length],
  ['checkPrimeSync', () => [c.checkPrimeSync(2n ** 61n - 1n), c.checkPrimeSync(2n ** 61n + 1n)]],
  ['randomFillSync large returns its buffer', () => {
    const buffer = Buffer.alloc(1 << 20);
    const out = c.randomFillSync(buffer);
    return [out === buffer, buffer.some((b) => b !== 0)];
  }],
  ['randomFillSync large with offset and size', () => {
    const buffer = Buffer.alloc(1 << 20);
    c.randomFillSync(buffer, 1000, 200_000);
    return [buffer.subarray(0, 1000).every((b) => b === 0), buffer.subarray(201_000).every((b) => b === 0), buffer.subarray(1000, 201_000).some((b) => b !== 0)];
  }],
  ['randomFillSync a large Float64Array', () => {
    const array = new Float64Array(1 << 16);
    return [c.randomFillSync(array) === array, array.some((x) => x !== 0)];
  }],
  ['randomFillSync a large ArrayBuffer', () => {
    const ab = new ArrayBuffer(1 << 17);
    return [c.randomFillSync(ab) === ab, new Uint8Array(ab).some((x) => x !== 0)];
  }],
  ['randomFillSync small (stays inline)', () => c.randomFillSync(Buffer.alloc(16)).length],
  ['randomFillSync offset out of range', () => c.randomFillSync(Buffer.alloc(1 << 17), (1 << 17) + 1)],
  ['randomFillSync not a buffer', () => c.randomFillSync('string')],
];

test.serial('crypto: same values and errors as stock, call by call', async (t) => {
  const expected = cryptoCalls(stockCrypto).map(([label, fn, shape]) => [label, outcome(fn, shape)]);
  const actual = await green(() => cryptoCalls(crypto).map(([label, fn, shape]) => [label, outcome(fn, shape)]));
  for (let i = 0; i < expected.length; i++) t.deepEqual(actual[i], expected[i], expected[i][0]);
});

test.serial('crypto: green threads overlap their key derivations', async (t) => {
  const events = [];
  await Promise.all(
    [0, 1, 2, 3].map((i) =>
      green(() => {
        events.push(`start ${i}`);
        crypto.pbkdf2Sync('secret', `salt${i}`, 200_000, 32, 'sha512');
        events.push(`end ${i}`);
      }),
    ),
  );
  t.deepEqual(events.slice(0, 4).sort(), ['start 0', 'start 1', 'start 2', 'start 3']);
});

test.serial('outside a green thread zlib and crypto are stock at work', (t) => {
  t.true(isPatched('zlib'));
  t.true(isPatched('crypto'));
  t.not(zlib.gzipSync, stockZlib.gzipSync);
  t.is(zlib.gzipSync.name, stockZlib.gzipSync.name);
  t.is(zlib.gunzipSync(zlib.gzipSync(text)).equals(text), true);
  t.is(crypto.pbkdf2Sync('a', 'b', 1, 8, 'sha1').toString('hex'), stockCrypto.pbkdf2Sync('a', 'b', 1, 8, 'sha1').toString('hex'));
  t.is(zlib.gzip, stockZlib.gzip);
  t.is(crypto.pbkdf2, stockCrypto.pbkdf2);
});
