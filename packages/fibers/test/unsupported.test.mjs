// A Node build without the symbols the native engine needs (here: the
// running binary, stripped) gets a clear error naming what is missing.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

test('loading on a stripped node fails with ERR_GREENPATCH_UNSUPPORTED_RUNTIME', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'greenpatch-stripped-'));
  try {
    const node = join(dir, 'node');
    copyFileSync(process.execPath, node);
    execFileSync('strip', ['--strip-all', node]);
    const probe = `
      try { require('@greenpatch/fibers'); console.log('loaded'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = spawnSync(node, ['-e', probe], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      encoding: 'utf8',
      env: { ...process.env, GREENPATCH_BACKEND: 'native' },
    });
    t.is(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    t.is(result.code, 'ERR_GREENPATCH_UNSUPPORTED_RUNTIME');
    t.regex(result.message, /thread_id/);
    t.true(result.message.includes(node), result.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
