// `npm start` for real: the built launcher starts the whole topology (built apps as child
// processes), the hostsims' pings go through switch0 in the rump kernel under the controller,
// and at the end (--duration, or SIGINT like Ctrl-C) every process is gone and the run
// directory removed. Needs `npm run build` (the e2e target depends on it).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'rumpflow-start.js');

function run(args: string[]): { child: ChildProcess; out: string[]; done: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    out.push(...lines);
  });
  const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out, done };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** PIDs from the status table, and the run directory from the first line. */
function parse(out: string[]) {
  const runDir = /^run directory (\S+)/.exec(out[0] ?? '')?.[1];
  const pids = out.flatMap((l) => {
    const m = /^(\S+)\s+(\d+)\s+healthy\s/.exec(l);
    return m ? [Number(m[2])] : [];
  });
  return { runDir, pids };
}

const offset = () => 20000 + Math.floor(Math.random() * 200) * 10;

describe('npm start', () => {
  it('runs the topology for --duration, the hosts ping each other, and nothing is left behind', async () => {
    const r = run(['--duration', '8', '--port-offset', String(offset())]);
    const code = await r.done;
    const text = r.out.join('\n');
    expect(code, text).toBe(0);
    const { runDir, pids } = parse(r.out);
    expect(pids, text).toHaveLength(6);
    expect(text).toMatch(/^\d\d:\d\d:\d\d {2}pings \d+ sent \d+ answered/m);
    for (const host of ['hostsim1 10.0.0.1 -> 10.0.0.2', 'hostsim2 10.0.0.2 -> 10.0.0.1']) {
      const m = new RegExp(`^${host}: (\\d+) pings, (\\d+) replies`, 'm').exec(text);
      expect(m, text).not.toBeNull();
      expect(Number(m![2])).toBeGreaterThan(5);
    }
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(runDir!)).toBe(false);
  });

  it('stops everything on SIGINT with the rump backend', async () => {
    const r = run(['--backend', 'rump', '--port-offset', String(offset())]);
    const deadline = Date.now() + 90_000;
    while (r.out.filter((l) => /answered/.test(l)).length < 3) {
      if (Date.now() > deadline || r.child.exitCode !== null) throw new Error(r.out.join('\n'));
      await new Promise((res) => setTimeout(res, 200));
    }
    r.child.kill('SIGINT');
    expect(await r.done, r.out.join('\n')).toBe(0);
    const { runDir, pids } = parse(r.out);
    expect(pids).toHaveLength(5); // no swioproxyd
    expect(r.out).toContain('SIGINT: stopping');
    expect(r.out.join('\n')).toMatch(/hostsim1 10\.0\.0\.1 -> 10\.0\.0\.2: \d+ pings, [1-9]\d* replies/);
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(runDir!)).toBe(false);
  });
});
