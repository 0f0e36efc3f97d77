// The auth token file, read the same way by the server (--auth-token-file) and by every client
// (rumpclient's tokenFile, rumpctl --token-file): both sides must see the same token, or a
// file with a second line (a comment, a rotated token) passes on one side and fails on the
// other. Reading the file is the caller's business: this package does no I/O.

/**
 * The token in the text of a token file: its first line without surrounding whitespace (so a
 * trailing newline, CRLF or a byte-order mark do not count). An empty result means no token.
 */
export function parseTokenFile(text: string): string {
  return (text.split(/\r?\n/, 1)[0] ?? '').trim();
}
