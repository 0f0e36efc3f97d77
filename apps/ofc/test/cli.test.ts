// The real program, as a child process (`node --import tsx src/main.ts`): --help, usage
// errors, the start-up lines, a switch connecting, and a clean exit on SIGTERM and SIGINT.

import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeSwitch } from './fake-switch.js';

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const children = new Set<ChildProcess>();

interface Run {
  child: ChildProcess;
  out: string[];
  err: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  line(match: RegExp, timeoutMs?: number): Promise<string>;
}

function ofc(args: string[]): Run {
  const child = spawn(
    process.execPath,
    ['--conditions=@rumpflow/source', '--import', 'tsx', 'src/main.ts', ...args],
    {
      cwd: APP,
      env: { ...process.env, OFC_ADMIN: '', OFC_CONFIG: '', OFC_LOG_LEVEL: 'info', OFC_PRETTY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const out: string[] = [];
  const err: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => err.push(d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const line = (match: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${match} in:\n${err.join('')}`)), timeoutMs);
      const check = () => {
        const hit = err
          .join('')
          .split('\n')
          .find((l) => match.test(l));
        if (hit) {
          clearTimeout(timer);
          child.stderr?.off('data', check);
          resolve(hit);
        }
      };
      child.stderr?.on('data', check);
      check();
    });
  return { child, out, err, exit, line };
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('ofc, the program', () => {
  it('--help prints the usage on stdout and exits 0', async () => {
    const r = ofc(['--help']);
    expect(await r.exit).toEqual({ code: 0, signal: null });
    const help = r.out.join('');
    expect(help).toMatch(/^Usage: ofc \[options\]/);
    for (const flag of [
      '--listen URI',
      '--connect URI',
      '--app NAME',
      '--api HOST:PORT',
      '--static-flows FILE',
      '--admin HOST:PORT',
    ])
      expect(help).toContain(flag);
  }, 60_000);

  it('a usage error names the problem on stderr and exits 2', async () => {
    const r = ofc(['--connect', 'ptcp:6653']);
    expect(await r.exit).toEqual({ code: 2, signal: null });
    expect(r.err.join('')).toMatch(
      /^ofc: .*a passive endpoint where an active one .* is needed\nTry 'ofc --help'/,
    );
  }, 60_000);

  it('starts, says where it listens, takes a switch, and exits 0 on SIGTERM (and SIGINT)', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const r = ofc(['--listen', 'ptcp:0', '--api', '127.0.0.1:0']);
      const listening = JSON.parse(await r.line(/"msg":"listening"/)) as { url: string };
      expect(listening.url).toMatch(/^ptcp:\d+:127\.0\.0\.1$/);
      const api = JSON.parse(await r.line(/"msg":"api server on /)) as { url: string };
      await r.line(/"msg":"started"/);
      const sw = await FakeSwitch.connect(Number(listening.url.split(':')[1]), { dpid: 0xabn });
      await r.line(/switch 00000000000000ab connected from 127\.0\.0\.1:\d+/);
      expect(await (await fetch(`${api.url}/stats/switches`)).json()).toEqual([171]);
      const closed = new Promise((resolve) => sw.conn.once('close', resolve));
      r.child.kill(signal);
      expect(await r.exit).toEqual({ code: 0, signal: null });
      await closed; // the switch's connection was closed by the shutdown
      expect(r.err.join('')).toMatch(/"msg":"switch 00000000000000ab disconnected"/);
    }
  }, 90_000);
});
