// The lifecycle for real: a daemon in a child process (test/fixtures/daemon.ts, run from
// source through tsx), signalled with SIGTERM/SIGINT, checked by exit code, log lines and
// the state of its Unix socket file.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const fixture = join(packageDir, 'test', 'fixtures', 'daemon.ts');

interface Daemon {
  child: ChildProcessWithoutNullStreams;
  /** JSON log lines so far (stderr). */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  stdout: () => string;
  /** Resolves when a log line matches. */
  waitFor: (test: (line: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  exited: Promise<number | string>;
}

function start(args: string[], env: Record<string, string> = {}): Daemon {
  const child = spawn(
    process.execPath,
    ['--conditions=@rumpflow/source', '--import', 'tsx', fixture, ...args],
    {
      cwd: packageDir,
      env: { ...process.env, ...env },
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  let err = '';
  let out = '';
  let partial = '';
  const waiters: Array<{
    test: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }> = [];
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const waitFor = (test: (l: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = logs.find(test);
      if (seen !== undefined) return resolve(seen);
      waiters.push({ test, resolve });
      void exited.then((code) =>
        reject(new Error(`daemon exited (${String(code)}) before the awaited log line; stderr:\n${err}`)),
      );
    });
  running.push(child);
  return { child, logs, stderr: () => err, stdout: () => out, waitFor, exited };
}

const running: ChildProcessWithoutNullStreams[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rf-sig-'));
});
afterEach(async () => {
  for (const child of running.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const msg = (m: string) => (l: Record<string, unknown>) => l['msg'] === m;

function hello(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(path);
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.on('end', () => resolve(text));
    c.on('error', reject);
  });
}

describe('a daemon in a child process', () => {
  it('stops cleanly on SIGTERM: exit 0, log lines, socket file removed', async () => {
    const socket = join(dir, 'run', 'd.sock');
    const d = start(['--socket', socket, '--admin', '127.0.0.1:0']);
    const started = await d.waitFor(msg('started'));
    const adminUrl = started['admin'] as string;
    expect(adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const st = await stat(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(await hello(socket)).toBe('hi\n');
    const health = await fetch(`${adminUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await (await fetch(`${adminUrl}/metrics`)).text()).toContain(
      'rumpflow_service_info{service="fixture-daemon",version="0.0.1"} 1',
    );

    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    const messages = d.logs.map((l) => l['msg']);
    expect(messages).toEqual(
      expect.arrayContaining([
        'starting',
        'listening',
        'started',
        'received SIGTERM',
        'shutting down',
        'closing',
        'stopped',
      ]),
    );
    expect(messages.at(-1)).toBe('stopped');
    expect(d.logs.find(msg('received SIGTERM'))).toMatchObject({ name: 'fixture-daemon', signal: 'SIGTERM' });
    await expect(stat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stops cleanly on SIGINT', async () => {
    const socket = join(dir, 'i.sock');
    const d = start(['--socket', socket]);
    await d.waitFor(msg('started'));
    d.child.kill('SIGINT');
    expect(await d.exited).toBe(0);
    expect(d.logs.find(msg('received SIGINT'))).toBeDefined();
    await expect(stat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a second SIGTERM while draining exits at once with 143 and still removes the socket file', async () => {
    const socket = join(dir, 'h.sock');
    const d = start(['--socket', socket, '--hang-on-stop']);
    await d.waitFor(msg('started'));
    d.child.kill('SIGTERM');
    await d.waitFor(msg('closing'));
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(143);
    expect(d.logs.find(msg('received SIGTERM again: exiting now'))).toMatchObject({
      level: 40,
      exitCode: 143,
    });
    await expect(stat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an uncaught exception is logged, then the daemon shuts down with exit code 1', async () => {
    const socket = join(dir, 'c.sock');
    const d = start(['--socket', socket, '--crash-after-start']);
    expect(await d.exited).toBe(1);
    expect(d.logs.find(msg('uncaught exception'))).toMatchObject({
      level: 60,
      err: { message: 'boom after start' },
    });
    expect(d.logs.at(-1)).toMatchObject({ msg: 'stopped', exitCode: 1 });
    await expect(stat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('replaces the stale socket file of a killed predecessor', async () => {
    const socket = join(dir, 's.sock');
    const first = start(['--socket', socket]);
    await first.waitFor(msg('started'));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect((await stat(socket)).isSocket()).toBe(true); // left behind

    const second = start(['--socket', socket]);
    await second.waitFor(msg('started'));
    expect(await hello(socket)).toBe('hi\n');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses a socket another live daemon serves: exit 1 naming the path', async () => {
    const socket = join(dir, 'l.sock');
    const first = start(['--socket', socket]);
    await first.waitFor(msg('started'));
    const second = start(['--socket', socket]);
    expect(await second.exited).toBe(1);
    expect(second.logs.find(msg('start-up failed: listener'))).toMatchObject({
      err: { message: `address in use: ${socket} (another process accepts connections on it)` },
    });
    expect(await hello(socket)).toBe('hi\n'); // the first one is unharmed
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('--help prints on stdout and exits 0; a usage error exits 2', async () => {
    const help = start(['--help']);
    const missing = start([]);
    const badLevel = start(['--socket', join(dir, 'x.sock')], { FIXTURE_LOG_LEVEL: 'loud' });
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toMatch(/^Usage: fixture-daemon \[options\]/);
    expect(help.stdout()).toContain('env: FIXTURE_LOG_LEVEL');

    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('fixture-daemon: missing required option --socket');
    expect(missing.stderr()).toContain("Try 'fixture-daemon --help'");

    expect(await badLevel.exited).toBe(2);
    expect(badLevel.stderr()).toContain(
      'environment variable FIXTURE_LOG_LEVEL: "loud" is not one of trace, debug',
    );
  });

  it('--pretty logs are human-readable, and the last line survives the exit', async () => {
    const socket = join(dir, 'p.sock');
    const d = start(['--socket', socket, '--pretty', '--log-level', 'debug']);
    while (!/started/.test(d.stderr())) {
      const code = await Promise.race([
        d.exited,
        new Promise<undefined>((r) => d.child.stderr.once('data', () => r(undefined))),
      ]);
      if (code !== undefined) throw new Error(`exited early: ${d.stderr()}`);
    }
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    const text = d.stderr();
    expect(text).not.toMatch(/^\{/m);
    expect(text).toMatch(/INFO.*\(fixture-daemon\).*listening/);
    expect(text).toMatch(/DEBUG.*stopping component/);
    expect(text).toMatch(/INFO.*stopped\n\s+exitCode: 0\n$/);
  });
});
