// rumpctl against a real kernel server (in this process) over a Unix socket.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Interrupt, Kernel, RumpServer } from '@rumpflow/rump-kernel';
import { RumpClient } from '@rumpflow/rumpclient';
import { listenUnix } from '@rumpflow/service';
import { O, SYSCALLS } from '@rumpflow/sysproxy';
import { formatTrace, main } from './main.js';

let dir = '';
let url = '';
let kernel: Kernel;
let server: RumpServer;
let halted = 0;
// a second kernel that requires a token
const TOKEN = 'rumpctl-s3cret';
let authUrl = '';
let authKernel: Kernel;
let authServer: RumpServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rumpctl-'));
  kernel = new Kernel();
  kernel.onHalt = () => halted++;
  server = new RumpServer(kernel, { listenUnix: (s, p, m) => listenUnix(s, p, m) });
  url = (await server.listen({ kind: 'unix', path: join(dir, 'rump.sock') })).url;
  authKernel = new Kernel();
  authServer = new RumpServer(authKernel, { authToken: TOKEN, listenUnix: (s, p, m) => listenUnix(s, p, m) });
  authUrl = (await authServer.listen({ kind: 'unix', path: join(dir, 'auth.sock') })).url;
});
afterAll(async () => {
  await server.close();
  await authServer.close();
  rmSync(dir, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

describe('rumpctl', () => {
  it('ps lists the processes, fstat their files', async () => {
    const sw = await RumpClient.connect(url, { program: 'switchd' });
    const fd = await sw.open('/dev/null', O.RDWR);
    await sw.write(fd, new Uint8Array(10));
    const c = capture();
    expect(await main(['ps'], { RUMP_SERVER: url }, c.io)).toBe(0);
    const lines = c.out.join('').trim().split('\n');
    expect(lines[0]).toMatch(/^PID\s+CONN\s+CALLS\s+FDS\s+STARTED\s+COMMAND$/);
    expect(lines.some((l) => new RegExp(`^${sw.pid}\\s+1\\s+0\\s+1\\s.*switchd$`).test(l))).toBe(true);
    expect(lines.some((l) => l.endsWith('rumpctl'))).toBe(true);
    const f = capture();
    expect(await main(['fstat', '-p', String(sw.pid)], { RUMP_SERVER: url }, f.io)).toBe(0);
    expect(f.out.join('')).toMatch(
      new RegExp(`switchd\\s+${sw.pid}\\s+0\\s+vnode\\s+rw\\s+0\\s+10\\s+/dev/null`),
    );
    const j = capture();
    expect(await main(['fstat', '-p', String(sw.pid), '--json'], { RUMP_SERVER: url }, j.io)).toBe(0);
    expect(JSON.parse(j.out.join(''))).toMatchObject([
      { pid: sw.pid, program: 'switchd', fds: [{ fd: 0, name: '/dev/null' }] },
    ]);
    sw.close();
  });

  it("ktrace prints other clients' syscalls as they complete, filtered by pid", async () => {
    const x = await RumpClient.connect(url, { program: 'traced' });
    const c = capture();
    const ac = new AbortController();
    const run = main(['ktrace', '-p', String(x.pid)], { RUMP_SERVER: url }, c.io, ac.signal);
    // wait for rumpctl's tracer to be in place, then make a call to trace
    while (![...kernel.processes.values()].some((p) => p.program === 'rumpctl' && p.fds.size === 1))
      await new Promise((r) => setTimeout(r, 5));
    await x.getpid();
    while (c.out.length === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect(await run).toBe(0);
    expect(c.out.join('')).toMatch(
      new RegExp(`^\\s*${x.pid} traced\\s+getpid\\(\\) = ${x.pid}, 0  \\d+ ms\\n$`),
    );
    x.close();
  });

  it('halt asks the kernel to halt', async () => {
    const c = capture();
    expect(await main(['halt'], { RUMP_SERVER: url }, c.io)).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(halted).toBe(1);
  });

  it('explains usage errors and unreachable kernels', async () => {
    const c = capture();
    expect(await main(['ps'], {}, c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/set RUMP_SERVER/);
    const d = capture();
    expect(await main(['frobnicate'], { RUMP_SERVER: url }, d.io)).toBe(2);
    expect(d.err.join('')).toMatch(/unknown command "frobnicate"/);
    const e = capture();
    expect(await main(['ps'], { RUMP_SERVER: `unix://${join(dir, 'nobody.sock')}` }, e.io)).toBe(1);
    expect(e.err.join('')).toMatch(/ENOENT|ECONNREFUSED/);
    const h = capture();
    expect(await main(['--help'], {}, h.io)).toBe(0);
    expect(h.out.join('')).toMatch(/Usage: rumpctl/);
  });

  it('takes the token from --token-file or from RUMP_AUTH_TOKEN in the environment it is given', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n# second line, not part of the token\n`);
    const none = capture();
    expect(await main(['ps'], { RUMP_SERVER: authUrl }, none.io)).toBe(1);
    expect(none.err.join('')).toMatch(/ENEEDAUTH/);
    const viaEnv = capture();
    expect(await main(['ps'], { RUMP_SERVER: authUrl, RUMP_AUTH_TOKEN: TOKEN }, viaEnv.io)).toBe(0);
    expect(viaEnv.out.join('')).toMatch(/rumpctl$/m);
    const viaFile = capture();
    expect(await main(['--token-file', tokenFile, 'ps'], { RUMP_SERVER: authUrl }, viaFile.io)).toBe(0);
    const wrong = capture();
    expect(await main(['ps'], { RUMP_SERVER: authUrl, RUMP_AUTH_TOKEN: 'guess' }, wrong.io)).toBe(1);
    expect(wrong.err.join('')).toMatch(/EAUTH/);
    const missing = capture();
    expect(
      await main(['--token-file', join(dir, 'nonesuch'), 'ps'], { RUMP_SERVER: authUrl }, missing.io),
    ).toBe(2);
    expect(missing.err.join('')).toMatch(/--token-file: .*ENOENT/);
  });

  it('says when the kernel left processes out of its list', async () => {
    // ten processes of 1000 fds: more than one /dev/kinfo snapshot holds
    const big = Array.from({ length: 10 }, (_, i) => authKernel.newProcess(`big${i}`));
    for (const p of big)
      for (let i = 0; i < 1000; i++)
        await authKernel.syscall(p, SYSCALLS.open.number, ['/dev/null', O.RDWR, 0], new Interrupt());
    try {
      const c = capture();
      expect(await main(['ps'], { RUMP_SERVER: authUrl, RUMP_AUTH_TOKEN: TOKEN }, c.io)).toBe(0);
      expect(c.err.join('')).toMatch(/the kernel listed only the first \d+ processes/);
      expect(c.out.join('')).toMatch(/big0$/m);
    } finally {
      for (const p of big) authKernel.detach(p);
    }
  });

  it('formats trace lines like kdump', () => {
    expect(
      formatTrace({
        time: '',
        pid: 3,
        program: 'switchd',
        syscall: 'read',
        args: '4, 65536',
        errno: 'EAGAIN',
        durationMs: 0,
      }),
    ).toBe('    3 switchd      read(4, 65536) = -1 errno EAGAIN  0 ms');
  });
});
