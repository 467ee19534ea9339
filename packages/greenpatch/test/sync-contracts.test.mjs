// Node's contracts under the cooperative *Sync (docs/cooperative-sync.md):
// what does not cooperate never lets the event loop run; what cooperates
// validates its arguments once, as the original, and throws synchronously;
// top-level code of a module (the entry's too) is user code, not Node's
// loader. Programs that need the hook run in a child process.
import test from 'ava';
import { execFile, execFileSync as stockExecFileSync, spawnSync as stockSpawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { getOriginal, patch } from 'greenpatch';
import * as gcrypto from 'greenpatch/green/crypto';
import * as gzlib from 'greenpatch/green/zlib';
import { green } from './helpers/green.mjs';

const stock = { opendirSync: fs.opendirSync, readFileSync: fs.readFileSync };
const stockCp = { ...createRequire(import.meta.url)('node:child_process') };
patch({ fs: true, child_process: true });

const require = createRequire(import.meta.url);
const entry = require.resolve('greenpatch');
const hook = { '--require': require.resolve('greenpatch/register'), '--import': import.meta.resolve('greenpatch/register') };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-contracts-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
const fifo = path.join(dir, 'fifo');
stockExecFileSync('mkfifo', [fifo]);

test.beforeEach((t) => t.timeout(40_000));

const programs = {
  // The entry's top level reads a FIFO that a green thread writes.
  'fifo-top.cjs': `
    const fs = require('node:fs');
    const { spawn } = require(${JSON.stringify(entry)});
    const writer = spawn(() => fs.writeFileSync(process.argv[2], 'from a green thread'));
    console.log(fs.readFileSync(process.argv[2], 'utf8'));
    writer.wait();`,
  'fifo-top.mjs': `
    import fs from 'node:fs';
    import { createRequire } from 'node:module';
    const { spawn } = createRequire(import.meta.url)(${JSON.stringify(entry)});
    const writer = spawn(() => fs.writeFileSync(process.argv[2], 'from a green thread'));
    console.log(fs.readFileSync(process.argv[2], 'utf8'));
    writer.wait();`,
  // Scheduled callbacks must not run in the middle of a module's top level.
  'tdz.cjs': `
    const fs = require('node:fs');
    setImmediate(() => console.log(value));
    process.nextTick(() => console.log(value));
    fs.readFileSync(__filename);
    fs.statSync(__filename);
    fs.writeFileSync(process.argv[2] + '.tdz', 'x');
    fs.readdirSync(__dirname);
    require('./tdz-dep.cjs');
    let value = 'initialised';`,
  'tdz-dep.cjs': `
    const fs = require('node:fs');
    setImmediate(() => console.log(depValue));
    fs.readFileSync(__filename);
    let depValue = 'dep initialised';`,
  'opendir.cjs': `
    const fs = require('node:fs');
    try { fs.opendirSync(__dirname, { bufferSize: -1 }); console.log('opened'); }
    catch (error) { console.log(error.code); }`,
  'dns.cjs': `
    const dns = require('node:dns');
    for (const call of [() => dns.lookup('localhost'), () => dns.resolveNs(''), () => new dns.Resolver().resolve4('localhost')]) {
      try { call(); console.log('returned'); } catch (error) { console.log(error.code); }
    }
    console.log(typeof dns.lookupSync, dns.lookupSync('localhost', 4).address);`,
};
for (const [file, source] of Object.entries(programs)) fs.writeFileSync(path.join(dir, file), source);

function run(args, env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: dir, env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.killed ? 'killed' : error.code) : 0, stdout, stderr }),
    );
  });
}

for (const [flag, file] of [['--require', 'fifo-top.cjs'], ['--import', 'fifo-top.mjs']]) {
  test(`${flag} greenpatch/register: the entry's top-level readFileSync of a FIFO a green thread writes completes`, async (t) => {
    // A FIFO of its own: the tests of this file run at the same time, and a
    // shared one let one child read both writes and the other none.
    const own = path.join(dir, `fifo${flag}`);
    stockExecFileSync('mkfifo', [own]);
    const r = await run([flag, hook[flag], file, own]);
    t.deepEqual(r, { code: 0, stdout: 'from a green thread\n', stderr: '' });
  });
}

test('under the hook no scheduled callback runs in the middle of a module’s top level (regular-file *Sync)', async (t) => {
  const r = await run(['--require', hook['--require'], 'tdz.cjs', path.join(dir, 'out')]);
  t.deepEqual(r, { code: 0, stdout: 'initialised\ninitialised\ndep initialised\n', stderr: '' });
});

test('under the hook opendirSync(p, { bufferSize: -1 }) throws ERR_OUT_OF_RANGE synchronously, as stock', async (t) => {
  const stockRun = await run(['opendir.cjs']);
  const hooked = await run(['--require', hook['--require'], 'opendir.cjs']);
  t.deepEqual(stockRun, { code: 0, stdout: 'ERR_OUT_OF_RANGE\n', stderr: '' });
  t.deepEqual(hooked, stockRun);
});

test('under the hook dns without a callback throws ERR_INVALID_ARG_TYPE; lookupSync blocks the entry', async (t) => {
  const r = await run(['--require', hook['--require'], 'dns.cjs']);
  t.deepEqual(r, { code: 0, stdout: 'ERR_INVALID_ARG_TYPE\nERR_INVALID_ARG_TYPE\nERR_INVALID_ARG_TYPE\nfunction 127.0.0.1\n', stderr: '' });
});

test.serial('createReadStream, then statSync, then on("open") still sees "open" in a green thread', async (t) => {
  const file = path.join(dir, 'stream.txt');
  fs.writeFileSync(file, 'data');
  const seen = await green(() => {
    const stream = fs.createReadStream(file);
    fs.statSync(file);
    fs.readFileSync(file);
    const events = [];
    stream.on('open', () => events.push('open'));
    stream.on('data', (chunk) => events.push(chunk.toString()));
    return new Promise((resolve) => stream.on('close', () => resolve(events)));
  });
  t.deepEqual(seen, ['open', 'data']);
});

test.serial('opendirSync with a bad bufferSize throws synchronously in a green thread', async (t) => {
  const expected = t.throws(() => stock.opendirSync(dir, { bufferSize: -1 }));
  const error = await green(() => t.throws(() => fs.opendirSync(dir, { bufferSize: -1 })));
  t.is(error.code, 'ERR_OUT_OF_RANGE');
  t.is(error.message, expected.message);
});

/** A copy of `values` whose getters count how often each is read. */
function counting(values) {
  const counts = {};
  const options = {};
  for (const [key, value] of Object.entries(values)) {
    Object.defineProperty(options, key, {
      enumerable: true,
      get() {
        counts[key] = (counts[key] ?? 0) + 1;
        return value;
      },
    });
  }
  return { options, counts };
}

function outcome(call) {
  try {
    const value = call();
    return { value: Buffer.isBuffer(value) ? value.length : typeof value };
  } catch (error) {
    return { code: error.code, message: error.message };
  }
}

const big = Buffer.alloc(64 * 1024, 1);
/** [label, stock function, cooperative function, arguments before the options, option values]. */
const cases = [
  ['scryptSync valid', crypto.scryptSync, gcrypto.scryptSync, ['pw', 'salt', 16], { N: 16 }],
  ['scryptSync N not a power of two', crypto.scryptSync, gcrypto.scryptSync, ['pw', 'salt', 16], { N: 3 }],
  ['scryptSync maxmem negative', crypto.scryptSync, gcrypto.scryptSync, ['pw', 'salt', 16], { maxmem: -1 }],
  ['scryptSync N and cost', crypto.scryptSync, gcrypto.scryptSync, ['pw', 'salt', 16], { N: 16, cost: 16 }],
  ['generateKeyPairSync bad curve', crypto.generateKeyPairSync, gcrypto.generateKeyPairSync, ['ec'], { namedCurve: 42 }],
  ['generateKeyPairSync valid', crypto.generateKeyPairSync, gcrypto.generateKeyPairSync, ['ec'], { namedCurve: 'P-256' }],
  ['gzipSync bad level', zlib.gzipSync, gzlib.gzipSync, [big], { level: 99 }],
  ['gzipSync valid', zlib.gzipSync, gzlib.gzipSync, [big], { level: 1 }],
  ['spawnSync bad timeout', stockSpawnSync, (...a) => require('node:child_process').spawnSync(...a), ['true', []], { timeout: -1 }],
  ['spawnSync bad stdio', stockSpawnSync, (...a) => require('node:child_process').spawnSync(...a), ['true', []], { stdio: 'bogus' }],
  ['spawnSync valid', stockSpawnSync, (...a) => require('node:child_process').spawnSync(...a), ['true', []], { timeout: 10_000 }],
  ['execSync bad timeout', (...a) => stockCp.execSync(...a), (...a) => require('node:child_process').execSync(...a), ['true'], { timeout: -1 }],
  ['execSync bad maxBuffer', (...a) => stockCp.execSync(...a), (...a) => require('node:child_process').execSync(...a), ['true'], { maxBuffer: 'x' }],
  ['execFileSync bad killSignal', (...a) => stockCp.execFileSync(...a), (...a) => require('node:child_process').execFileSync(...a), ['true', []], { killSignal: 'SIGNOPE' }],
  ['execFileSync bad argv0', (...a) => stockCp.execFileSync(...a), (...a) => require('node:child_process').execFileSync(...a), ['true', []], { argv0: 42 }],
  ['execFileSync valid', (...a) => stockCp.execFileSync(...a), (...a) => require('node:child_process').execFileSync(...a), ['true', []], { timeout: 10_000, encoding: 'utf8' }],
  ['readFileSync FIFO bad encoding', stock.readFileSync, (...a) => fs.readFileSync(...a), [fifo], { encoding: 'bogus' }],
  ['readFileSync FIFO bad flag', stock.readFileSync, (...a) => fs.readFileSync(...a), [fifo], { flag: 'bogus' }],
];

test.serial('cooperative calls read option getters as often as stock and throw stock’s errors synchronously', async (t) => {
  for (const [label, stockFn, cooperativeFn, args, values] of cases) {
    const s = counting(values);
    const expected = { ...outcome(() => stockFn(...args, s.options)), counts: s.counts };
    const actual = await green(() => {
      const c = counting(values);
      return { ...outcome(() => cooperativeFn(...args, c.options)), counts: c.counts };
    });
    t.deepEqual(actual, expected, label);
  }
});

test.serial('a cooperative call still cooperates after reading options once (scryptSync lets others run)', async (t) => {
  let others = 0;
  let stop = false;
  const busy = green(() => {
    const { sleep } = require('greenpatch');
    while (!stop) {
      others++;
      sleep(0);
    }
  });
  const ran = await green(() => {
    const before = others;
    const { options, counts } = counting({ N: 1 << 14 });
    gcrypto.scryptSync('pw', 'salt', 64, options);
    return { ranMeanwhile: others - before > 0, counts };
  });
  stop = true;
  await busy;
  const s = counting({ N: 1 << 14 });
  crypto.scryptSync('pw', 'salt', 64, s.options);
  t.deepEqual(ran, { ranMeanwhile: true, counts: s.counts });
});

/** Calls on a FIFO opened for reading and writing (no peer to wait for on Linux), as [label, outcome]. */
function fifoScript(f) {
  const fd = f.openSync(fifo, 'r+');
  const steps = [
    ['writeSync string', () => f.writeSync(fd, 'hello')],
    ['writeSync buffer slice', () => f.writeSync(fd, Buffer.from('xyz'), 1, 2)],
    ['writevSync', () => f.writevSync(fd, [Buffer.from('v1'), Buffer.from('v2')])],
    ['writeSync at a position (ESPIPE)', () => f.writeSync(fd, 'p', 3)],
    ['writeSync bad offset', () => f.writeSync(fd, Buffer.from('a'), 5, 1)],
    ['readSync', () => {
      const buffer = Buffer.alloc(7);
      return `${f.readSync(fd, buffer, 0, 7, null)}:${buffer}`;
    }],
    ['readvSync', () => {
      const a = Buffer.alloc(1);
      const b = Buffer.alloc(2);
      return `${f.readvSync(fd, [a, b])}:${a}${b}`;
    }],
    ['readSync bad length', () => f.readSync(fd, Buffer.alloc(1), 0, 5, null)],
    ['readSync at a position (ESPIPE)', () => f.readSync(fd, Buffer.alloc(1), 0, 1, 0)],
    ['readFileSync bad options type', () => f.readFileSync(fifo, 42)],
    ['openSync bad flags', () => f.openSync(fifo, 'bogus')],
  ];
  try {
    return steps.map(([label, call]) => {
      try {
        return [label, { value: call() }];
      } catch (error) {
        return [label, { code: error.code, syscall: error.syscall, message: error.message }];
      }
    });
  } finally {
    f.closeSync(fd);
  }
}

test.serial('on a FIFO the cooperative calls give stock’s values and errors, step by step', async (t) => {
  const stockFs = { ...fs };
  for (const name of ['openSync', 'writeSync', 'writevSync', 'readSync', 'readvSync', 'readFileSync']) {
    stockFs[name] = getOriginal('fs', name);
  }
  const expected = fifoScript(stockFs);
  const actual = await green(() => fifoScript(fs));
  t.deepEqual(actual, expected);
  t.true(expected.filter(([, o]) => o.code !== undefined).length >= 6);
});
