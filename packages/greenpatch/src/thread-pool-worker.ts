// The task runner inside each ThreadPool worker thread (piscina's `filename`):
// imports the task's module (cached by Node's loader) and calls the named
// export with the task's arguments, awaiting a promise it returns.
import { pathToFileURL } from 'node:url';

interface Task {
  readonly filename: string;
  readonly name: string;
  readonly args: unknown[];
}

async function runTask(task: Task): Promise<unknown> {
  const url = task.filename.startsWith('file:') ? task.filename : pathToFileURL(task.filename).href;
  const module = (await import(url)) as Record<string, unknown>;
  let fn = module[task.name];
  // A CommonJS module's exports object arrives as the default export.
  if (typeof fn !== 'function' && task.name !== 'default') fn = (module.default as Record<string, unknown> | undefined)?.[task.name];
  if (typeof fn !== 'function') {
    const error = new Error(`${task.filename} has no function export named '${task.name}'`) as Error & { code: string };
    error.code = 'ERR_GREENPATCH_NO_SUCH_TASK';
    throw error;
  }
  return Reflect.apply(fn, undefined, task.args);
}

export = runTask;
