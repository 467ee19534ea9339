/** An `Error` (or subclass) carrying a Node-style `code`. */
export type CodedError = Error & { code: string };

/** Builds an error with a `code`, the way Node's own errors carry one. */
export function codedError(code: string, message: string, Base: new (message: string) => Error = Error): CodedError {
  const error = new Base(message) as CodedError;
  error.code = code;
  return error;
}
