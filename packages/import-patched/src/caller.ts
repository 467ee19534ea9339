// The file that called importPatched(): specifiers resolve from there, as a
// require() in that file would.
import { fileURLToPath } from 'node:url';

/** The file of the first stack frame outside this package, or undefined. */
export function callerFile(): string | undefined {
  const saved = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, callerFile);
    sites = holder.stack ?? [];
  } finally {
    Error.prepareStackTrace = saved;
  }
  for (const site of sites) {
    let file = site.getFileName() ?? undefined;
    if (file === undefined) continue;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (file.startsWith(__dirname)) continue;
    if (file.startsWith('node:')) continue;
    return file;
  }
  return undefined;
}
