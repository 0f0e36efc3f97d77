// rumphijack [--] COMMAND ARGS...: `env LD_PRELOAD=librumphijack.so COMMAND` for Node
// programs. It puts `--import <absolute path of @rumpflow/rumphijack>` into NODE_OPTIONS and
// runs COMMAND (node, or any program whose node reads NODE_OPTIONS: a bin with a node
// shebang), passing signals on and exiting as the command did. RUMP_SERVER, RUMPHIJACK and
// RUMPHIJACK_RETRYCONNECT pass through; RUMPHIJACK's grammar is checked here first, so a bad
// key fails before anything runs.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { HijackConfigError, parseRetryConnect, parseRumphijack } from '@rumpflow/rumphijack/config';

export const USAGE = `usage: rumphijack [--] COMMAND [ARGS...]

Runs COMMAND (a Node program: node app.js, or a bin with a node shebang) with its fs calls on
hijacked paths and fds routed to the rump kernel at $RUMP_SERVER, as NetBSD's
LD_PRELOAD=librumphijack.so does for C programs. It sets NODE_OPTIONS=--import <loader>.

environment:
  RUMP_SERVER               the kernel: unix:///path or tcp://host:port
  RUMPHIJACK                what to hijack (default path=/rump,socket=all:nolocal):
                              path=/rump, blanket=/dev/a:/dev/b, fdoff=N, socket=, vfs=,
                              sysctl, modctl
  RUMPHIJACK_RETRYCONNECT   die | inftime | once | SECONDS (default: no retry)
  RUMP_AUTH_TOKEN           token for a server that asks for one
`;

export interface Io {
  err(text: string): void;
}

const stdio: Io = { err: (t) => void process.stderr.write(t) };

/** Quote a value for NODE_OPTIONS (which splits on spaces and honours double quotes). */
function quote(v: string): string {
  return /[\s"\\]/.test(v) ? `"${v.replace(/(["\\])/g, '\\$1')}"` : v;
}

/**
 * The NODE_OPTIONS that load the hijack: the caller's own, then the loader by absolute path.
 * When the loader resolves to TypeScript sources (a development checkout run with the
 * @rumpflow/source condition), tsx and the condition come along, and the package's
 * dev-loader.mjs stands in for the .ts module (see there why).
 */
export function hijackNodeOptions(existing: string | undefined, loaderUrl: string, tsxUrl?: string): string {
  const parts = existing && existing.trim() !== '' ? [existing.trim()] : [];
  let loader = loaderUrl;
  if (loaderUrl.endsWith('.ts')) {
    parts.push('--conditions=@rumpflow/source');
    if (tsxUrl) parts.push(`--import=${quote(fileURLToPath(tsxUrl))}`);
    loader = new URL('../dev-loader.mjs', loaderUrl).href;
  }
  parts.push(`--import=${quote(fileURLToPath(loader))}`);
  return parts.join(' ');
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = stdio): Promise<number> {
  const args = [...argv];
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args[0] === '--') args.shift();
  else if (args[0]?.startsWith('-')) {
    io.err(`rumphijack: unknown option ${args[0]}\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = args;
  if (command === undefined) {
    io.err(USAGE);
    return 2;
  }
  try {
    parseRumphijack(env.RUMPHIJACK);
    parseRetryConnect(env.RUMPHIJACK_RETRYCONNECT);
  } catch (e) {
    if (e instanceof HijackConfigError) {
      io.err(`rumphijack: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const loader = import.meta.resolve('@rumpflow/rumphijack');
  let tsx: string | undefined;
  if (loader.endsWith('.ts')) tsx = import.meta.resolve('tsx');
  const childEnv = { ...env, NODE_OPTIONS: hijackNodeOptions(env.NODE_OPTIONS, loader, tsx) };

  return new Promise<number>((resolve) => {
    const child = spawn(command, rest, { env: childEnv, stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const done = (code: number): void => {
      for (const s of signals) process.off(s, forward);
      resolve(code);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      io.err(`rumphijack: ${command}: ${e.code === 'ENOENT' ? 'command not found' : e.message}\n`);
      done(e.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      // as a shell reports it: 128 + the signal's number
      done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
