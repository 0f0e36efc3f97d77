// Shared bits of the client tests: socket paths in a fresh temporary directory, and servers
// and clients closed after each test.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { RumpClient, type ConnectOptions } from '../src/index.js';
import { ScriptedServer, type ScriptedServerOptions } from './scripted-server.js';

const dirs: string[] = [];
const servers: ScriptedServer[] = [];
const clients: RumpClient[] = [];

/** A unix socket path nobody else uses. */
export function socketPath(name = 'rump.sock'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rumpclient-'));
  dirs.push(dir);
  return path.join(dir, name);
}

/** A scripted server on a fresh unix socket (or the given options), closed after the test. */
export async function server(opts: ScriptedServerOptions = {}): Promise<ScriptedServer> {
  const s = await ScriptedServer.start({ path: socketPath(), ...opts });
  servers.push(s);
  return s;
}

/** A client, closed after the test. */
export async function client(url: string | undefined, opts: ConnectOptions = {}): Promise<RumpClient> {
  const c = await RumpClient.connect(url, { program: 'test', env: {}, ...opts });
  clients.push(c);
  return c;
}

/** Register a client made otherwise (join) for closing after the test. */
export function track(c: RumpClient): RumpClient {
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
