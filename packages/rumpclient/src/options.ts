// Where a client's settings come from: arguments first, then the environment (RUMP_SERVER,
// RUMP_AUTH_TOKEN), then defaults.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type RumpServerUrl, parseRumpServer } from '@rumpflow/endpoint';
import { parseTokenFile } from '@rumpflow/sysproxy';

export type Env = Readonly<Record<string, string | undefined>>;

/** The server to use: `url`, else $RUMP_SERVER. */
export function resolveServer(url: string | undefined, env: Env): RumpServerUrl {
  const text = url ?? env.RUMP_SERVER;
  if (text === undefined || text === '') {
    throw new Error('no rump kernel server: pass a URL or set RUMP_SERVER (unix:///path or tcp://host:port)');
  }
  return parseRumpServer(text);
}

/** The program name a new process gets: the script's base name, or "node". */
export function defaultProgram(argv: readonly string[] = process.argv): string {
  const script = argv[1];
  return script ? path.basename(script) : 'node';
}

export interface TokenSource {
  readonly token?: string;
  readonly tokenFile?: string;
}

/**
 * The token for a server that asks for one: `token`, else the token in `tokenFile` (its first
 * line, trimmed: sysproxy's parseTokenFile, as the server reads its own), else
 * $RUMP_AUTH_TOKEN; undefined when none is set (the server then answers ENEEDAUTH). Read at
 * every handshake, so a reconnect sees a rotated token file.
 */
export async function resolveToken(src: TokenSource, env: Env): Promise<string | undefined> {
  if (src.token !== undefined) return src.token;
  if (src.tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(src.tokenFile, 'utf8');
    } catch (e) {
      throw new Error(`token file ${src.tokenFile}: ${(e as Error).message}`);
    }
    return parseTokenFile(text);
  }
  const fromEnv = env.RUMP_AUTH_TOKEN;
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}
