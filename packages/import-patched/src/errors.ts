/** An `Error` carrying a Node-style `code`. */
export function codedError(code: string, message: string, Base: new (message: string) => Error = Error): Error & { code: string } {
  const error = new Base(message) as Error & { code: string };
  error.code = code;
  return error;
}
