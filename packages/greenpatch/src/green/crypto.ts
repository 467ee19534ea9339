// greenpatch/green/crypto: Node's `crypto`, where the slow `*Sync` functions
// (`pbkdf2Sync`, `scryptSync`, `generateKeyPairSync`, `generatePrimeSync`,
// `checkPrimeSync`, `randomFillSync` on large buffers, and `argon2Sync` where
// Node has it), called inside a green thread, block only that green thread:
// the work runs as the callback form on libuv's thread pool. Results and
// errors are those of the callback form, which runs the same validation and
// the same OpenSSL job. Outside a green thread, and on the hub, they are
// Node's own.
import crypto = require('node:crypto');

import { cooperate, cooperativeSync, withoutTrailingUndefined, type Done } from './internal/cooperative.js';

export * from 'node:crypto';

// The names of node:crypto (Node 20 to 26) for ESM importers: Node reads a
// CommonJS module's named exports from its source and does not follow the
// re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.argon2 = exports.argon2Sync = exports.checkPrime = exports.checkPrimeSync = exports.createCipheriv = exports.createDecipheriv = exports.createDiffieHellman = exports.createDiffieHellmanGroup = exports.createECDH = exports.createHash = exports.createHmac = exports.createMac = exports.createPrivateKey = exports.createPublicKey = exports.createSecretKey = exports.createSign = exports.createVerify = exports.diffieHellman = exports.generatePrime = exports.generatePrimeSync = exports.getCiphers = exports.getCipherInfo = exports.getCurves = exports.getDiffieHellman = exports.getHashes = exports.getMacs = exports.hkdf = exports.hkdfSync = exports.parsePKCS12 = exports.pbkdf2 = exports.pbkdf2Sync = exports.generateKeyPair = exports.generateKeyPairSync = exports.generateKey = exports.generateKeySync = exports.privateDecrypt = exports.privateEncrypt = exports.publicDecrypt = exports.publicEncrypt = exports.randomBytes = exports.randomFill = exports.randomFillSync = exports.randomInt = exports.randomUUID = exports.randomUUIDv7 = exports.scrypt = exports.scryptSync = exports.sign = exports.setEngine = exports.timingSafeEqual = exports.getFips = exports.setFips = exports.verify = exports.hash = exports.encapsulate = exports.decapsulate = exports.Certificate = exports.Cipher = exports.Cipheriv = exports.Decipher = exports.Decipheriv = exports.DiffieHellman = exports.DiffieHellmanGroup = exports.ECDH = exports.Hash = exports.Hmac = exports.KeyObject = exports.Sign = exports.Verify = exports.X509Certificate = exports.secureHeapUsed = exports.constants = exports.webcrypto = exports.subtle = exports.getRandomValues = undefined;
}

/**
 * `randomFillSync` of fewer bytes than this stays synchronous: filling them
 * takes under about 50 µs, no more than the thread-pool round trip.
 * Key and hash derivations and key-pair generation always go to the pool:
 * they are slow by design. (`hkdfSync`, `generateKeySync`, `randomBytes`
 * and the other fast ones are left as they are.)
 */
export const RANDOM_FILL_SYNC_BELOW_BYTES = 64 * 1024;

type AnyFunction = (...args: any[]) => any;

/** The cooperative functions, by export name: what the `crypto` patch installs. */
export const syncFunctions: Record<string, AnyFunction> = {};

function define(
  name: string,
  asyncName: string,
  shape: (done: Done<unknown>) => AnyFunction,
  stayInline: (args: unknown[]) => boolean = () => false,
): void {
  const syncFn = (crypto as any)[name] as AnyFunction | undefined;
  const asyncFn = (crypto as any)[asyncName] as AnyFunction | undefined;
  if (typeof syncFn !== 'function' || typeof asyncFn !== 'function') return;
  const what = `crypto.${name}()`;
  syncFunctions[name] = cooperativeSync(
    syncFn,
    (args) => cooperate<unknown>(what, (done) => Reflect.apply(asyncFn, crypto, [...withoutTrailingUndefined(args), shape(done)])),
    { inline: stayInline },
  );
}

const value = (done: Done<unknown>) => (error: unknown, result?: unknown) => done(error, result);

define('pbkdf2Sync', 'pbkdf2', value);
define('scryptSync', 'scrypt', value);
define('generatePrimeSync', 'generatePrime', value);
define('checkPrimeSync', 'checkPrime', value);
define('argon2Sync', 'argon2', value);
// The callback receives the two keys; the sync form returns them as an object.
define('generateKeyPairSync', 'generateKeyPair', (done) => (error: unknown, publicKey?: unknown, privateKey?: unknown) =>
  error ? done(error) : done(null, { publicKey, privateKey }),
);
define('randomFillSync', 'randomFill', value, (args) => {
  const [buffer, offset, size] = args as [unknown, unknown, unknown];
  if (!(ArrayBuffer.isView(buffer) || buffer instanceof ArrayBuffer)) return true;
  const start = typeof offset === 'number' ? offset : 0;
  const bytes = typeof size === 'number' ? size : buffer.byteLength - start;
  return !(bytes >= RANDOM_FILL_SYNC_BELOW_BYTES);
});

/**
 * The cooperative crypto functions, each taking the arguments of Node's and
 * returning or throwing what Node's does. Inside a green thread they block
 * only that thread while libuv's thread pool does the work (`randomFillSync`
 * from {@link RANDOM_FILL_SYNC_BELOW_BYTES} bytes); elsewhere they are
 * Node's own.
 */
export const { pbkdf2Sync, scryptSync, generateKeyPairSync, generatePrimeSync, checkPrimeSync, randomFillSync } =
  syncFunctions as unknown as typeof crypto;
