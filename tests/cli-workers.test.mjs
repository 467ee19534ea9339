// `greenpatch --workers 2`: both workers serve, a killed worker is replaced,
// and SIGTERM lets a request in progress finish before the command exits 0.
import test from 'ava';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { linkGreenpatch } from './fixtures/link-greenpatch.mjs';

linkGreenpatch();

const cli = fileURLToPath(new URL('../packages/greenpatch/dist/cli/main.js', import.meta.url));
const server = fileURLToPath(new URL('./fixtures/cli-server.js', import.meta.url));

function get(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

/** Resolves with the first stdout line matching `re` from now on. */
function nextLine(lines, re) {
  return new Promise((resolve) => {
    const check = () => {
      const at = lines.all.findIndex((l, i) => i >= lines.seen && re.test(l));
      if (at < 0) return false;
      lines.seen = at + 1;
      lines.waiters.delete(check);
      resolve(re.exec(lines.all[at]));
      return true;
    };
    if (!check()) lines.waiters.add(check);
  });
}

test('--workers 2: both serve, a killed worker is replaced, SIGTERM drains', async (t) => {
  t.timeout(60_000);
  const child = spawn(process.execPath, [cli, '--workers', '2', server, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = { all: [], seen: 0, waiters: new Set() };
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let partial = '';
  child.stdout.on('data', (d) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop();
    lines.all.push(...parts);
    for (const w of [...lines.waiters]) w();
  });
  const exited = once(child, 'exit');
  try {
    const first = await nextLine(lines, /^listening (\d+) (\d+)$/);
    const second = await nextLine(lines, /^listening (\d+) (\d+)$/);
    const port = Number(first[1]);
    t.is(Number(second[1]), port);
    const workers = new Set([Number(first[2]), Number(second[2])]);
    t.is(workers.size, 2);

    const answered = new Set();
    for (let i = 0; i < 50 && answered.size < 2; i++) answered.add(Number((await get(port, '/pid')).body));
    t.deepEqual([...answered].sort(), [...workers].sort(), 'both workers answer');

    const victim = Number(first[2]);
    process.kill(victim, 'SIGKILL');
    const replacement = await nextLine(lines, /^listening (\d+) (\d+)$/);
    t.is(Number(replacement[1]), port);
    t.false(workers.has(Number(replacement[2])));
    const now = new Set();
    for (let i = 0; i < 50 && now.size < 2; i++) now.add(Number((await get(port, '/pid')).body));
    t.deepEqual([...now].sort(), [Number(second[2]), Number(replacement[2])].sort(), 'the replacement serves');
    t.regex(stderr, new RegExp(`worker ${victim} was killed by SIGKILL`));

    const slow = get(port, '/slow');
    await nextLine(lines, /^slow started (\d+)$/);
    child.kill('SIGTERM');
    t.deepEqual(await slow, { status: 200, body: 'done' });
    const [code, signal] = await exited;
    t.is(signal, null);
    t.is(code, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
