// A benchmark's baseline peer: a plain Node script of this folder (udp-relay.mjs,
// echo-server.mjs) run as a child process, which prints `ready PORT` on stdout once it listens.

import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Run `bench/SCRIPT ARGS...` and resolve with the port of its `ready PORT` line. */
export function startBaseline(
  script: string,
  args: readonly string[],
  what: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [path.join(HERE, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      out += d;
      const m = /ready (\d+)\n/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before ready`)));
  });
}
