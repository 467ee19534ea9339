// The symbol index (src/native/symbol_index.h): where V8's symbols are in
// this `node`'s symbol tables, written by scripts/build-native.mjs beside
// the addon and checked entry by entry at every start. Used, it spares the
// scan; foreign, stale, corrupt or missing, the scan runs and finds the same
// addresses. Each case in a child process, since the lookups run once per
// process; GREENPATCH_TEST_SYMBOL_INDEX points a child at an index of the
// test's own making.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const pkgDir = require.resolve('@greenpatch/fibers/package.json').replace(/\/package\.json$/, '');
const addonPath = require('node-gyp-build').path(pkgDir);
const linux = process.platform === 'linux';
const x64 = process.arch === 'x64' && linux;

// Starts the native backend in a child and reports its symbol lookups, the
// switch path, the comparison with a full scan (direct path only) and, when
// asked, the index this process would write.
const script = `
  const a = require(${JSON.stringify(addonPath)});
  const b = a.start('native');
  const out = { path: b.switchPath, reason: b.switchNote, lookups: a.symbolLookups() };
  if (b.compareSymbolLookups) out.compare = b.compareSymbolLookups();
  if (b.collectionCheck) out.collection = b.collectionCheck();
  if (process.env.WANT_INDEX) out.index = a.symbolIndex();
  const f = new b.Coroutine();
  out.trip = f.resume(20, false, (x) => b.suspend(x + 1) + 1);
  process.stdout.write(JSON.stringify(out));
`;

function child(env = {}) {
  const childEnv = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key.startsWith('GREENPATCH_')) delete childEnv[key];
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...childEnv, ...env }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'greenpatch-symbol-index-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function indexFile(text) {
  const path = join(dir, `index-${counter++}.symbols`);
  writeFileSync(path, text);
  return path;
}

// The reference: this process's lookups made by a scan (no index), and the
// index the build would write for them.
let reference;
function scanned() {
  reference ??= child({ GREENPATCH_TEST_SYMBOL_INDEX: join(dir, 'none'), WANT_INDEX: '1' });
  return reference;
}

// Loads with `text` as the index; checks that the index was not used (for
// any lookup when `symbols` is not given, else for at least one lookup of
// `symbols`, "function" or "thread-local", the kind an edited line serves),
// that every lookup found what the scan finds without an index, and that
// the engine still works.
function rejects(t, text, note, symbols) {
  const ref = scanned();
  const r = child({ GREENPATCH_TEST_SYMBOL_INDEX: indexFile(text) });
  t.is(r.stderr, '');
  t.is(r.path, ref.path, r.reason);
  t.is(r.trip, 21);
  t.is(r.lookups.length, ref.lookups.length);
  let rejected = 0;
  r.lookups.forEach((lookup, i) => {
    t.is(lookup.found, ref.lookups[i].found, lookup.symbols);
    if (symbols === undefined) t.not(lookup.how, 'index', `${lookup.symbols}: ${lookup.note}`);
    if (lookup.how === 'index') return;
    t.is(lookup.symbols, symbols ?? lookup.symbols);
    t.regex(lookup.note, note);
    rejected++;
  });
  t.true(rejected > 0);
  if (r.compare) t.true(r.compare[0], r.compare[1]);
}
// Which lookup a symbol line of the index serves.
const kind = (line) => (line.split(' ')[1] === '2' ? 'function' : 'thread-local');

const lines = (text) => text.split('\n').slice(0, -1);
const unlines = (ls) => ls.map((l) => `${l}\n`).join('');
const symbolLines = (ls) => ls.map((l, i) => [l, i]).filter(([l]) => l.startsWith('symbol '));

test('the index written at build is used: no scan at start, the addresses of a full scan', (t) => {
  if (!linux) return t.pass('ELF only');
  const r = child();
  t.is(r.stderr, '');
  t.true(r.lookups.length > 0);
  for (const lookup of r.lookups) {
    t.is(lookup.how, 'index', `${lookup.symbols}: ${lookup.note} (was scripts/build-native.mjs run for this node?)`);
    t.is(lookup.note, '');
  }
  // Node 24 and 26 do not export the direct path's functions: they come
  // from the index too. (On 20 and 22 dlsym finds them.)
  if (x64) {
    t.is(r.path, 'direct', r.reason);
    t.true(r.compare[0], r.compare[1]);
  }
  t.is(r.trip, 21);
});

test('an index of the same file is used, each of its entries checked; the scan otherwise', (t) => {
  if (!linux) return t.pass('ELF only');
  const ref = scanned();
  t.true(ref.lookups.every((l) => l.how !== 'index'));
  t.is(ref.index.length, 1);
  const text = ref.index[0].text;
  t.regex(text, /^greenpatch symbol index 1\nfile \d+ \d+ [0-9a-f-]+\n/);
  t.regex(ref.index[0].path, /\.[0-9a-f]{16}\.symbols$/);
  const r = child({ GREENPATCH_TEST_SYMBOL_INDEX: indexFile(text) });
  t.deepEqual(
    r.lookups.map((l) => [l.symbols, l.how, l.found]),
    ref.lookups.map((l) => [l.symbols, 'index', l.found]),
  );
  if (r.compare) t.true(r.compare[0], r.compare[1]);
  t.is(r.trip, 21);
});

test('an index for another file (size, time or build id) is not used', (t) => {
  if (!linux) return t.pass('ELF only');
  t.timeout(60_000);
  const ls = lines(scanned().index[0].text);
  const [, size, time, id] = ls[1].split(' ');
  for (const file of [
    `file ${Number(size) + 1} ${time} ${id}`,
    `file ${size} ${BigInt(time) + 1n} ${id}`,
    `file ${size} ${time} ${id === '-' ? '00' : id.replace(/^./, (c) => (c === '0' ? '1' : '0'))}`,
  ]) {
    rejects(t, unlines([ls[0], file, ...ls.slice(2)]), /for another file/);
  }
});

test('wrong entries: shifted, swapped, another table, past the table: each fails its check', (t) => {
  if (!linux) return t.pass('ELF only');
  t.timeout(120_000);
  const ls = lines(scanned().index[0].text);
  const syms = symbolLines(ls);
  // Lines are sorted by type, then name: the first two serve one lookup.
  const [[first, i], [second, j]] = syms;
  t.is(kind(first), kind(second));
  const which = kind(first);
  const edit = (k0, f) => unlines(ls.map((l, k) => (k === k0 ? f(l.split(' ')).join(' ') : l)));
  // Every entry one further on.
  rejects(t, unlines(ls.map((l) => l.replace(/^(symbol \d+ \d+) (\d+)/, (_, a, n) => `${a} ${Number(n) + 1}`))), /does not match/);
  // Two names' entries swapped.
  const [a, b] = [first.split(' '), second.split(' ')];
  rejects(t, edit(i, () => [...b.slice(0, 4), a[4]]).split('\n').map((l, k) => (k === j ? [...a.slice(0, 4), b[4]].join(' ') : l)).join('\n'), /does not match/, which);
  // Past the table, far past it, past every file offset.
  for (const entry of ['4000000', '18446744073709551615', '768614336404564650']) {
    rejects(t, edit(i, (w) => [w[0], w[1], w[2], entry, w[4]]), /does not match/, which);
  }
  // A section that is not a symbol table, one that does not exist.
  for (const table of ['0', '1', '65535', '4294967295']) {
    rejects(t, edit(i, (w) => [w[0], w[1], table, w[3], w[4]]), /does not match/, which);
  }
  // Another symbol type: the lookup of its own type lacks the name.
  rejects(t, edit(i, (w) => [w[0], w[1] === '2' ? '6' : '2', w[2], w[3], w[4]]), /lacks/, which);
});

test('a truncated, malformed or unreadable index is not used, without a crash', (t) => {
  if (!linux) return t.pass('ELF only');
  t.timeout(120_000);
  const text = scanned().index[0].text;
  const ls = lines(text);
  const cut = (n) => text.slice(0, n);
  rejects(t, cut(text.length - 1), /truncated/); // the last newline gone
  rejects(t, cut(Math.floor(text.length / 2)), /truncated|malformed/);
  rejects(t, cut(text.indexOf('\n', text.indexOf('\n') + 1) + 1), /malformed/); // header lines only
  rejects(t, unlines(ls.slice(0, -1)), /malformed/); // no end line
  rejects(t, unlines([...ls.slice(0, -1), 'end 1']), /malformed/); // wrong count
  rejects(t, unlines([...ls.slice(0, 2), ...ls.slice(3)]), /malformed/); // a line gone, count kept
  rejects(t, unlines([...ls.slice(0, -1), ls[2], ls.at(-1)]), /malformed/); // a line twice
  rejects(t, unlines([ls[0].replace('1', '2'), ...ls.slice(1)]), /malformed/);
  rejects(t, unlines(ls.map((l) => l.replace(/^symbol (\d+) (\d+) (\d+)/, 'symbol $1 $2 -$3'))), /malformed/);
  rejects(t, unlines(ls.map((l) => l.replace(/^symbol (\d+) (\d+) (\d+)/, 'symbol $1 $2 1$3000000000000000000'))), /malformed/);
  rejects(t, unlines(ls.map((l) => l.replace(/ _Z/, ' _Z\u00e9'))), /malformed/);
  rejects(t, '', /malformed/);
  rejects(t, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1'), /truncated|malformed/);
  rejects(t, `${text}${'x'.repeat(1 << 20)}\n`, /no symbol index/); // too large to read
  // A directory, and no file at all.
  const sub = join(dir, 'a-directory');
  mkdirSync(sub, { recursive: true });
  for (const path of [sub, join(dir, 'missing')]) {
    const r = child({ GREENPATCH_TEST_SYMBOL_INDEX: path });
    t.true(r.lookups.every((l) => l.how !== 'index' && /no symbol index/.test(l.note)));
    t.is(r.trip, 21);
  }
});

test('the collection check is recorded in the index: the build index spares it, any other runs it', (t) => {
  if (!x64) return t.pass('the direct path is x86-64 only');
  t.timeout(60_000);
  const ref = scanned();
  t.is(ref.path, 'direct', ref.reason);
  t.regex(ref.collection, /^collected \(no symbol index for this file\)$/);
  const ls = lines(ref.index[0].text);
  const passed = ls.indexOf('passed suspended_fiber_collection');
  t.true(passed > 1, ref.index[0].text);
  // The index the build wrote beside the addon (this node, this file).
  const built = child();
  t.is(built.collection, 'index');
  t.is(built.path, 'direct', built.reason);
  t.is(built.trip, 21);
  // The same index without the record (count kept right): the symbols still
  // come from it, the collection runs.
  const without = ls.filter((_, k) => k !== passed);
  without[without.length - 1] = `end ${without.length - 3}`;
  const r = child({ GREENPATCH_TEST_SYMBOL_INDEX: indexFile(unlines(without)) });
  t.true(r.lookups.every((l) => l.how === 'index'));
  t.regex(r.collection, /^collected \(the symbol index does not record suspended_fiber_collection as passed\)$/);
  t.is(r.path, 'direct', r.reason);
  // Another check's name, and the record for another file: not believed.
  const other = ls.map((l, k) => (k === passed ? 'passed another_check' : l));
  t.regex(child({ GREENPATCH_TEST_SYMBOL_INDEX: indexFile(unlines(other)) }).collection, /does not record/);
  const [, size, time, id] = ls[1].split(' ');
  const foreign = [ls[0], `file ${Number(size) + 1} ${time} ${id}`, ...ls.slice(2)];
  t.regex(child({ GREENPATCH_TEST_SYMBOL_INDEX: indexFile(unlines(foreign)) }).collection, /another file/);
  // A record doubled breaks the count: the index is not used at all.
  const doubled = [...ls.slice(0, passed + 1), ls[passed], ...ls.slice(passed + 1)];
  doubled[doubled.length - 1] = `end ${doubled.length - 3}`;
  t.regex(child({ GREENPATCH_TEST_SYMBOL_INDEX: indexFile(unlines(doubled)) }).collection, /malformed/);
});

test('an index that lacks a name: the lookup that wants it scans, the others use the index', (t) => {
  if (!linux) return t.pass('ELF only');
  const ref = scanned();
  const text = ref.index[0].text;
  const ls = lines(text);
  const [line, i] = symbolLines(ls)[0];
  const w = line.split(' ');
  // A name gone (the count kept right): the lookup that wants it scans.
  const without = ls.filter((_, k) => k !== i);
  without[without.length - 1] = `end ${without.length - 3}`;
  const r = child({ GREENPATCH_TEST_SYMBOL_INDEX: indexFile(unlines(without)) });
  const lacking = r.lookups.filter((l) => l.how !== 'index');
  t.is(lacking.length, 1);
  t.regex(lacking[0].note, new RegExp(`lacks ${w[4]}`));
  t.is(lacking[0].symbols, kind(line));
  t.true(r.lookups.filter((l) => l !== lacking[0]).every((l) => l.how === 'index'));
  t.deepEqual(r.lookups.map((l) => l.found), ref.lookups.map((l) => l.found));
  t.is(r.trip, 21);
});

test('the build writes the index beside the addon, named for this node', (t) => {
  if (!linux) return t.pass('ELF only');
  const { path, text } = scanned().index[0];
  t.is(path.slice(0, path.lastIndexOf('/')), addonPath.slice(0, addonPath.lastIndexOf('/')));
  // What is there was written for this node: the same file line. (Entry
  // order and content may differ only if the addon's names changed.)
  const written = readFileSync(path, 'utf8');
  t.is(lines(written)[1], lines(text)[1]);
  t.is(written, text);
});
