// When greenpatch/register runs the entry from its `--import` preload
// (preload-entry.ts), Node's frames below the entry are those of its import
// of the preload, which differ from those of its import of the entry in one
// place: the `await` of Node's run_main that is waiting. Stock Node's stack
// names the `await` of the entry's import; this gives that frame for the
// preload's, read from Node's own source of run_main.
const RUN_MAIN = 'node:internal/modules/run_main';

let positions: { preload: string; entry: string } | null | undefined;

/** `line:column` of the `await` on the first of `lines` that contains `text`. */
function awaitPosition(lines: string[], text: string): string | undefined {
  const line = lines.findIndex((l) => l.includes(text));
  if (line < 0) return undefined;
  const column = lines[line].indexOf('await');
  return column < 0 ? undefined : `${line + 1}:${column + 1}`;
}

function pendingDeprecation(): boolean {
  // Reading Node's source (process.binding) then warns: the frame is left as it is.
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.includes('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1';
}

function readPositions(): { preload: string; entry: string } | null {
  if (pendingDeprecation()) return null;
  try {
    const natives = (process as unknown as { binding(name: string): Record<string, string> }).binding('natives');
    const source = natives['internal/modules/run_main'];
    if (typeof source !== 'string') return null;
    const lines = source.split('\n');
    const preload = awaitPosition(lines, 'await cascadedLoader.import(userImports[i]');
    const entry = awaitPosition(lines, 'await callback(cascadedLoader)');
    return preload !== undefined && entry !== undefined ? { preload, entry } : null;
  } catch {
    return null;
  }
}

/** @internal `line`, a formatted frame, with Node's wait for the preload's import made its wait for the entry's. */
export function asEntryImportFrame(line: string): string {
  if (!line.includes(`(${RUN_MAIN}:`)) return line;
  positions ??= readPositions();
  if (positions === null) return line;
  return line.replace(`(${RUN_MAIN}:${positions.preload})`, `(${RUN_MAIN}:${positions.entry})`);
}
