// Cooperative fs *Sync: the same script of calls, run once with stock fs
// outside any green thread and once with the patched fs inside a green
// thread (each in a directory of its own), gives the same values and the
// same errors step by step; and a blocked call lets other green threads run.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync as stockExecFileSync } from 'node:child_process';
import { patch, spawn, sleep, getOriginal } from 'greenpatch';

const stockFs = { ...fs, realpathSyncNative: fs.realpathSync.native };
patch({ fs: true });
const greenFs = new Proxy(fs, {
  get: (target, key) => (key === 'realpathSyncNative' ? target.realpathSync.native : target[key]),
});

test.beforeEach((t) => t.timeout(30_000));

function green(fn) {
  return new Promise((resolve, reject) => {
    const thread = spawn(fn);
    thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception)));
  });
}

function normalize(value, base) {
  const fix = (s) => s.split(base).join('<base>');
  if (typeof value === 'string') return fix(value);
  if (Buffer.isBuffer(value)) return { buffer: value.toString('hex') };
  if (value instanceof fs.Stats) {
    return { stats: { size: value.size, mode: value.mode, file: value.isFile(), dir: value.isDirectory(), link: value.isSymbolicLink() } };
  }
  if (value instanceof fs.Dirent) return { dirent: value.name, file: value.isFile(), dir: value.isDirectory() };
  if (value instanceof fs.Dir) return { dir: fix(value.path) };
  if (Array.isArray(value)) return value.map((v) => normalize(v, base)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return value;
}

function errorShape(e, base) {
  const shape = { class: e.constructor?.name, name: e.name, keys: Object.keys(e).sort(), message: normalize(e.message, base) };
  for (const key of ['errno', 'code', 'syscall', 'path', 'dest', 'info']) {
    if (key in e) shape[key] = key === 'info' ? JSON.parse(normalize(JSON.stringify(e.info), base)) : normalize(e[key], base);
  }
  return shape;
}

/** The script: every step is [label, () => call]. Values are normalised (paths relative to base). */
function script(f, base) {
  const p = (...parts) => path.join(base, ...parts);
  const steps = [];
  const step = (label, fn) => steps.push([label, fn]);
  let fd;
  step('writeFileSync', () => f.writeFileSync(p('a.txt'), 'hello'));
  step('appendFileSync', () => f.appendFileSync(p('a.txt'), ' world'));
  step('readFileSync utf8', () => f.readFileSync(p('a.txt'), 'utf8'));
  step('readFileSync buffer', () => f.readFileSync(p('a.txt')));
  step('readFileSync options object', () => f.readFileSync(p('a.txt'), { encoding: 'base64' }));
  step('readFileSync missing', () => f.readFileSync(p('missing.txt')));
  step('readFileSync of a directory', () => f.readFileSync(base));
  step('readFileSync bad path type', () => f.readFileSync({}));
  step('writeFileSync bad data', () => f.writeFileSync(p('bad.txt'), 42));
  step('writeFileSync into a missing dir', () => f.writeFileSync(p('no', 'such', 'x.txt'), 'x'));
  step('writeFileSync flag wx on existing', () => f.writeFileSync(p('a.txt'), 'x', { flag: 'wx' }));
  step('mkdirSync', () => f.mkdirSync(p('d1')));
  step('mkdirSync existing', () => f.mkdirSync(p('d1')));
  step('mkdirSync recursive', () => f.mkdirSync(p('x', 'y', 'z'), { recursive: true }));
  step('mkdirSync recursive existing', () => f.mkdirSync(p('x', 'y'), { recursive: true }));
  step('readdirSync', () => f.readdirSync(base));
  step('readdirSync withFileTypes', () => f.readdirSync(base, { withFileTypes: true }));
  step('readdirSync recursive', () => f.readdirSync(base, { recursive: true }));
  step('readdirSync missing', () => f.readdirSync(p('nope')));
  step('readdirSync of a file', () => f.readdirSync(p('a.txt')));
  step('statSync', () => f.statSync(p('a.txt')));
  step('statSync bigint size', () => f.statSync(p('a.txt'), { bigint: true }).size);
  step('statSync missing', () => f.statSync(p('missing')));
  step('statSync missing, throwIfNoEntry false', () => f.statSync(p('missing'), { throwIfNoEntry: false }));
  step('statSync through a file, throwIfNoEntry false', () => f.statSync(p('a.txt', 'x'), { throwIfNoEntry: false }));
  step('symlinkSync', () => f.symlinkSync(p('a.txt'), p('link')));
  step('symlinkSync existing', () => f.symlinkSync(p('a.txt'), p('link')));
  step('lstatSync', () => f.lstatSync(p('link')));
  step('lstatSync missing', () => f.lstatSync(p('gone')));
  step('readlinkSync', () => f.readlinkSync(p('link')));
  step('readlinkSync of a file', () => f.readlinkSync(p('a.txt')));
  step('realpathSync', () => f.realpathSync(p('x', 'y', '..', '..', 'link')));
  step('realpathSync missing', () => f.realpathSync(p('missing')));
  step('realpathSync.native', () => f.realpathSyncNative(p('link')));
  step('realpathSync.native missing', () => f.realpathSyncNative(p('missing')));
  step('existsSync yes', () => f.existsSync(p('a.txt')));
  step('existsSync no', () => f.existsSync(p('missing')));
  step('existsSync bad type', () => f.existsSync(42));
  step('existsSync null byte', () => f.existsSync('a\u0000b'));
  step('accessSync', () => f.accessSync(p('a.txt'), fs.constants.R_OK));
  step('accessSync missing', () => f.accessSync(p('missing')));
  step('openSync missing for reading', () => f.openSync(p('missing'), 'r'));
  step('openSync', () => typeof (fd = f.openSync(p('b.bin'), 'w+')));
  step('writeSync buffer', () => f.writeSync(fd, Buffer.from('0123456789')));
  step('writeSync string at position', () => f.writeSync(fd, 'AB', 3));
  step('writeSync buffer slice', () => f.writeSync(fd, Buffer.from('xyz'), 1, 2));
  step('readSync at position 0', () => {
    const buffer = Buffer.alloc(16);
    const n = f.readSync(fd, buffer, 0, 16, 0);
    return [n, buffer.subarray(0, n).toString()].join(':');
  });
  step('readSync options form', () => {
    const buffer = Buffer.alloc(4);
    return f.readSync(fd, buffer, { position: 2 }) + ':' + buffer.toString();
  });
  step('readvSync', () => {
    const a = Buffer.alloc(2);
    const b = Buffer.alloc(3);
    return [f.readvSync(fd, [a, b], 0), a.toString(), b.toString()].join(':');
  });
  step('writevSync', () => f.writevSync(fd, [Buffer.from('v1'), Buffer.from('v2')], 20));
  step('fstatSync', () => f.fstatSync(fd));
  step('ftruncateSync', () => f.ftruncateSync(fd, 4));
  step('fsyncSync', () => f.fsyncSync(fd));
  step('fdatasyncSync', () => f.fdatasyncSync(fd));
  step('futimesSync', () => f.futimesSync(fd, 1000, 2000));
  step('fchmodSync', () => f.fchmodSync(fd, 0o640));
  step('fstatSync after', () => f.fstatSync(fd));
  step('closeSync', () => f.closeSync(fd));
  step('closeSync again', () => f.closeSync(fd));
  step('readSync closed fd', () => f.readSync(fd, Buffer.alloc(1)));
  step('fstatSync bad fd', () => f.fstatSync(-5));
  step('copyFileSync', () => f.copyFileSync(p('a.txt'), p('c.txt')));
  step('copyFileSync EXCL onto existing', () => f.copyFileSync(p('a.txt'), p('c.txt'), fs.constants.COPYFILE_EXCL));
  step('copyFileSync missing', () => f.copyFileSync(p('missing'), p('d.txt')));
  step('renameSync', () => f.renameSync(p('c.txt'), p('e.txt')));
  step('renameSync missing', () => f.renameSync(p('c.txt'), p('f.txt')));
  step('linkSync', () => f.linkSync(p('e.txt'), p('hard.txt')));
  step('truncateSync', () => f.truncateSync(p('hard.txt'), 2));
  step('readFileSync after truncate', () => f.readFileSync(p('e.txt'), 'utf8'));
  step('chmodSync', () => f.chmodSync(p('e.txt'), 0o600));
  step('utimesSync', () => f.utimesSync(p('e.txt'), 5, 6));
  step('statSync mtime after utimes', () => f.statSync(p('e.txt')).mtimeMs);
  step('unlinkSync', () => f.unlinkSync(p('e.txt')));
  step('unlinkSync missing', () => f.unlinkSync(p('e.txt')));
  step('unlinkSync a directory', () => f.unlinkSync(p('d1')));
  step('rmdirSync non-empty', () => f.rmdirSync(p('x')));
  step('rmSync a directory without recursive', () => f.rmSync(p('x')));
  step('rmSync recursive', () => f.rmSync(p('x'), { recursive: true }));
  step('rmSync missing', () => f.rmSync(p('x')));
  step('rmSync missing with force', () => f.rmSync(p('x'), { force: true }));
  step('rmdirSync', () => f.rmdirSync(p('d1')));
  step('mkdtempSync', () => /^<base>\/tmp-[A-Za-z0-9]{6}$/.test(normalize(f.mkdtempSync(p('tmp-')), base)));
  step('mkdtempSync in a missing dir', () => f.mkdtempSync(p('nope', 'tmp-')));
  step('opendirSync', () => {
    const dir = f.opendirSync(base);
    const names = [];
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) names.push(entry.name.replace(/^tmp-.{6}$/, 'tmp-?'));
    dir.closeSync();
    return names.sort();
  });
  step('Dir.readSync after closeSync', () => {
    const dir = f.opendirSync(base);
    dir.closeSync();
    return dir.readSync();
  });
  step('Dir.closeSync twice', () => {
    const dir = f.opendirSync(base);
    dir.closeSync();
    return dir.closeSync();
  });
  step('opendirSync missing', () => f.opendirSync(p('nope')));
  step('statfsSync type', () => typeof f.statfsSync(base).bsize);
  step('chownSync to self', () => f.chownSync(p('a.txt'), process.getuid(), process.getgid()));
  step('lutimesSync', () => f.lutimesSync(p('link'), 7, 8));
  return steps.map(([label, fn]) => {
    try {
      return [label, { value: normalize(fn(), base) }];
    } catch (error) {
      return [label, { thrown: errorShape(error, base) }];
    }
  });
}

test.serial('the script gives the same values and errors, step by step, as stock', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-fs-'));
  try {
    const stockDir = path.join(root, 'stock');
    const greenDir = path.join(root, 'green');
    fs.mkdirSync(stockDir);
    fs.mkdirSync(greenDir);
    const expected = script(stockFs, stockDir);
    const actual = await green(() => script(greenFs, greenDir));
    t.is(actual.length, expected.length);
    for (let i = 0; i < expected.length; i++) t.deepEqual(actual[i], expected[i], expected[i][0]);
    // The script covers failures too.
    t.true(expected.filter(([, o]) => o.thrown).length >= 20);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.serial('readFileSync on a FIFO waits for a writer that only the event loop can provide', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-fifo-'));
  try {
    const fifo = path.join(root, 'fifo');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const reader = green(() => fs.readFileSync(fifo, 'utf8'));
    // The reader's green thread is blocked in readFileSync; the event loop
    // is free to open the FIFO for writing and write. With stock fs this
    // would deadlock: the whole process would sit in the read.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fs.promises.writeFile(fifo, 'through the fifo');
    t.is(await reader, 'through the fifo');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.serial('on regular files and directories fs *Sync block as stock: no other green thread runs meanwhile', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-fs-'));
  try {
    const file = path.join(root, 'big');
    let others = 0;
    let stop = false;
    const busy = green(() => {
      while (!stop) {
        others++;
        sleep(0);
      }
    });
    const ranMeanwhile = await green(() => {
      sleep(0);
      const before = others;
      fs.writeFileSync(file, Buffer.alloc(1 << 20, 7));
      fs.appendFileSync(file, 'x');
      const fd = fs.openSync(file, 'r');
      fs.readSync(fd, Buffer.alloc(16));
      fs.closeSync(fd);
      fs.readFileSync(file);
      fs.statSync(file);
      fs.readdirSync(root);
      fs.opendirSync(root).closeSync();
      fs.existsSync(file);
      return others - before;
    });
    stop = true;
    await busy;
    t.is(ranMeanwhile, 0);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.serial('require() inside a green thread stays atomic (the loader reads synchronously)', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-req-'));
  try {
    const file = path.join(root, 'mod.cjs');
    fs.writeFileSync(file, 'module.exports = { loaded: true };');
    const require = createRequire(import.meta.url);
    let others = 0;
    let stop = false;
    const busy = green(() => {
      while (!stop) {
        others++;
        sleep(0);
      }
    });
    const result = await green(() => {
      sleep(0);
      const before = others;
      const mod = require(file);
      return { loaded: mod.loaded, ranMeanwhile: others - before };
    });
    stop = true;
    await busy;
    t.deepEqual(result, { loaded: true, ranMeanwhile: 0 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.serial('writes to fd 1 and 2 stay synchronous; to a FIFO they cooperate, to a regular file not', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-fd-'));
  const fifo = path.join(root, 'fifo');
  stockExecFileSync('mkfifo', [fifo]);
  try {
    let others = 0;
    let stop = false;
    const busy = green(() => {
      while (!stop) {
        others++;
        sleep(0);
      }
    });
    const result = await green(() => {
      sleep(0);
      let before = others;
      const toStderr = fs.writeSync(2, '');
      const stderrYielded = others - before;
      const fd = fs.openSync(path.join(root, 'f'), 'w');
      before = others;
      fs.writeSync(fd, 'x');
      const fileYielded = others - before;
      fs.closeSync(fd);
      // Opened for reading and writing, a FIFO does not wait for a peer (Linux).
      const fifoFd = fs.openSync(fifo, 'r+');
      before = others;
      fs.writeSync(fifoFd, 'y');
      const fifoYielded = others - before;
      const got = Buffer.alloc(1);
      fs.readSync(fifoFd, got);
      fs.closeSync(fifoFd);
      return { toStderr, stderrYielded, fileYielded, fifoYielded: fifoYielded > 0, got: got.toString() };
    });
    stop = true;
    await busy;
    t.deepEqual(result, { toStderr: 0, stderrYielded: 0, fileYielded: 0, fifoYielded: true, got: 'y' });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.serial('outside a green thread fs *Sync are stock at work; callbacks and promises untouched', async (t) => {
  t.not(fs.readFileSync, stockFs.readFileSync);
  t.is(fs.readFileSync.name, 'readFileSync');
  t.is(typeof fs.realpathSync.native, 'function');
  t.is(fs.statSync, stockFs.statSync);
  t.is(fs.Dir.prototype.readSync, getOriginal('fs', 'Dir.prototype.readSync'));
  t.is(fs.readFile, stockFs.readFile);
  t.is(fs.promises, stockFs.promises);
  t.is(fs.readFileSync(new URL(import.meta.url), 'utf8').slice(0, 2), '//');
  const error = t.throws(() => fs.readFileSync('/greenpatch/missing'));
  t.is(error.code, 'ENOENT');
  t.is(error.syscall, 'open');
  const text = await new Promise((resolve, reject) =>
    fs.readFile(new URL(import.meta.url), 'utf8', (e, v) => (e ? reject(e) : resolve(v))),
  );
  t.true(text.includes('Cooperative fs'));
  const green = await import('greenpatch/green/fs');
  t.is(green.readFileSync, fs.readFileSync);
  t.is(green.statSync, stockFs.statSync);
  t.is(green.createReadStream, fs.createReadStream);
});
