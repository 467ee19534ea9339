// greenpatch/green/zlib: Node's `zlib`, where the one-shot `*Sync` functions
// (`gzipSync`, `gunzipSync`, `deflateSync`, `inflateSync`, their raw and
// unzip variants, `brotliCompressSync`, `brotliDecompressSync`, and on Node
// versions that have it `zstdDecompressSync`), called
// inside a green thread with a buffer of 1 KiB or more, block only that green
// thread: the work runs as the callback form on libuv's thread pool. Results
// and errors are those of the callback form, which Node builds as the sync
// form does. Outside a green thread, and on the hub, they are Node's own.
import zlib = require('node:zlib');

import { cooperate, cooperativeSync } from './internal/cooperative.js';

export * from 'node:zlib';

// The names of node:zlib (Node 20 to 26) for ESM importers: Node reads a
// CommonJS module's named exports from its source and does not follow the
// re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.crc32 = exports.Deflate = exports.Inflate = exports.Gzip = exports.Gunzip = exports.DeflateRaw = exports.InflateRaw = exports.Unzip = exports.BrotliCompress = exports.BrotliDecompress = exports.ZstdCompress = exports.ZstdDecompress = exports.deflate = exports.deflateSync = exports.gzip = exports.gzipSync = exports.deflateRaw = exports.deflateRawSync = exports.unzip = exports.unzipSync = exports.inflate = exports.inflateSync = exports.gunzip = exports.gunzipSync = exports.inflateRaw = exports.inflateRawSync = exports.brotliCompress = exports.brotliCompressSync = exports.brotliDecompress = exports.brotliDecompressSync = exports.zstdCompress = exports.zstdCompressSync = exports.zstdDecompress = exports.zstdDecompressSync = exports.createDeflate = exports.createInflate = exports.createDeflateRaw = exports.createInflateRaw = exports.createGzip = exports.createGunzip = exports.createUnzip = exports.createBrotliCompress = exports.createBrotliDecompress = exports.createZstdCompress = exports.createZstdDecompress = exports.constants = exports.codes = exports.ZipEntry = exports.ZipFile = exports.ZipBuffer = exports.createZipArchive = exports.createZipArchiveSync = exports.zipFiles = exports.getMaxZipContentSize = exports.setMaxZipContentSize = undefined;
}

/**
 * Inputs below this many bytes stay synchronous: (de)compressing them takes
 * a few microseconds, less than the thread-pool round trip that handing them
 * off would add. (1 KiB of deflate data inflates to at most about 1 MB, a
 * fraction of a millisecond of work.)
 */
export const SYNC_BELOW_BYTES = 1024;

const names = [
  'deflate', 'deflateRaw', 'gzip', 'gunzip', 'inflate', 'inflateRaw', 'unzip',
  'brotliCompress', 'brotliDecompress', 'zstdDecompress',
] as const;
// Not zstdCompressSync: compressing the whole input in one call lets zstd
// write the content size into the frame header, which the streaming callback
// form cannot (even with `pledgedSrcSize` its frames differ), so its bytes
// would not be stock's. It stays synchronous.

type AnyFunction = (...args: any[]) => any;

function inputBytes(buffer: unknown): number {
  if (typeof buffer === 'string') return buffer.length;
  if (ArrayBuffer.isView(buffer) || buffer instanceof ArrayBuffer) return buffer.byteLength;
  return 0; // invalid: the original reports it
}

/** The cooperative one-shot functions, by export name (`gzipSync`, ...): what the `zlib` patch installs. */
export const syncFunctions: Record<string, AnyFunction> = {};

for (const name of names) {
  const syncFn = (zlib as any)[`${name}Sync`] as AnyFunction | undefined;
  const asyncFn = (zlib as any)[name] as AnyFunction | undefined;
  if (typeof syncFn !== 'function' || typeof asyncFn !== 'function') continue;
  const what = `zlib.${name}Sync()`;
  syncFunctions[`${name}Sync`] = cooperativeSync(
    syncFn,
    ([buffer, options]) => cooperate<unknown>(what, (done) => Reflect.apply(asyncFn, zlib, [buffer, options ?? {}, done])),
    { inline: ([buffer]) => inputBytes(buffer) < SYNC_BELOW_BYTES },
  );
}

/**
 * The cooperative one-shot functions, each taking the arguments of Node's
 * and returning or throwing what Node's does. Inside a green thread, with an
 * input of {@link SYNC_BELOW_BYTES} or more, they block only that thread
 * while libuv's thread pool does the work; elsewhere they are Node's own.
 */
export const {
  deflateSync, deflateRawSync, gzipSync, gunzipSync, inflateSync, inflateRawSync, unzipSync,
  brotliCompressSync, brotliDecompressSync,
} = syncFunctions as unknown as typeof zlib;
