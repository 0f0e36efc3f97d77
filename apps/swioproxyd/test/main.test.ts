// The swioproxyd program as a child process against a real rump-kernel-server: usage errors,
// socket file mode and group, a stale socket file replaced, the admin API (/healthz,
// /metrics, /v1/connections) while a client is attached, and removal of the socket at SIGTERM.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Message, MessageFramer, decode, encode } from '@rumpflow/openflow';
import { type ServiceProcess, killAllServices, spawnRumpKernel, spawnService } from '@rumpflow/test-tools';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(HERE, '../src/main.ts');
const HOOK_MS = 60_000;
/** Each test spawns tsx processes; on a loaded 2-core machine that alone can take tens of seconds. */
const TEST_MS = 120_000;
const QUIET = {
  SWIOPROXYD_ADMIN: '',
  SWIOPROXYD_CONFIG: '',
  SWIOPROXYD_LOG_LEVEL: 'info',
  SWIOPROXYD_PRETTY: '',
};

let dir = '';
let kernel: ServiceProcess;
let rumpServer = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'swioproxyd-'));
  const rc = path.join(dir, 'rc');
  writeFileSync(rc, 'ifconfig switch0 create\nifconfig switch0 up\n');
  rumpServer = `unix://${path.join(dir, 'rump.sock')}`;
  kernel = spawnRumpKernel(['--rc', rc, rumpServer]);
  await kernel.ready();
}, HOOK_MS);

afterAll(async () => {
  await killAllServices();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(args: readonly string[]): ServiceProcess {
  return spawnService(MAIN, args, { name: 'swioproxyd', env: { ...QUIET, RUMP_SERVER: rumpServer } });
}

/** Read the first OpenFlow message from a socket path. */
function firstMessage(sock: string): Promise<{ socket: net.Socket; msg: Message }> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(sock);
    const framer = new MessageFramer();
    socket.once('error', reject);
    socket.on('data', (d: Buffer) => {
      const [m] = framer.push(d);
      if (m) resolve({ socket, msg: decode(m) });
    });
  });
}

describe('swioproxyd', { timeout: TEST_MS }, () => {
  it('refuses unpaired --listen/--device and a bad RUMP_SERVER with exit 2', async () => {
    const a = run(['--listen', path.join(dir, 'a.sock')]);
    expect((await a.exited).code).toBe(2);
    expect(a.text.join('\n')).toMatch(/pairs/);
    const b = spawnService(MAIN, ['--listen', path.join(dir, 'b.sock'), '--device', '/dev/switch0'], {
      env: { ...QUIET, RUMP_SERVER: 'http://nowhere' },
    });
    expect((await b.exited).code).toBe(2);
  });

  it('serves the device with the socket mode and group asked for, replacing a stale socket file, with admin endpoints', async () => {
    const sock = path.join(dir, 'sw0.sock');
    // a stale socket file: its server died without removing it
    const stale = spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.exit(0))`,
    ]);
    expect(stale.status).toBe(0);
    expect(statSync(sock).isSocket()).toBe(true);
    const gid = process.getgid!();
    const p = run([
      '--listen',
      sock,
      '--device',
      '/dev/switch0',
      '--socket-mode',
      '0660',
      '--socket-group',
      String(gid),
      '--io',
      'kevent',
      '--admin',
      '127.0.0.1:0',
    ]);
    await p.ready();
    await p.waitFor((l) => l.msg === 'kernel connected', 'kernel connected');
    const admin = p.logs.find((l) => l.msg.startsWith('admin server on '))!.url as string;
    const st = statSync(sock);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(gid);

    const { socket, msg } = await firstMessage(sock);
    expect(msg).toMatchObject({ type: 'HELLO', version: 4 });
    socket.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] } as Message));
    socket.write(encode({ type: 'ECHO_REQUEST', xid: 2, data: new Uint8Array(8) } as Message));
    await new Promise((r) => setTimeout(r, 300));

    const health = await fetch(`${admin}/healthz`);
    expect(health.status).toBe(200);
    const conns = (await (await fetch(`${admin}/v1/connections`)).json()) as {
      mode: string;
      kernel: { connected: boolean };
      connections: { device: string; messagesToDevice: number; messagesToClient: number }[];
    };
    expect(conns.mode).toBe('kevent');
    expect(conns.kernel.connected).toBe(true);
    expect(conns.connections).toHaveLength(1);
    expect(conns.connections[0]).toMatchObject({
      device: '/dev/switch0',
      messagesToDevice: 2,
      messagesToClient: 2,
    });
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/^swioproxyd_connections 1$/m);
    expect(metrics).toMatch(/^swioproxyd_messages_total\{direction="to_device"\} 2$/m);
    expect(metrics).toMatch(/^swioproxyd_kevent_wakeups_total [1-9]/m);
    expect(metrics).toMatch(/^swioproxyd_kernel_connected 1$/m);

    socket.destroy();
    const exit = await p.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it('reports the kernel as unreachable in /healthz and serves once it is there', async () => {
    const sock = path.join(dir, 'late.sock');
    const p = spawnService(MAIN, ['--listen', sock, '--device', '/dev/switch0', '--admin', '127.0.0.1:0'], {
      env: { ...QUIET, RUMP_SERVER: `unix://${path.join(dir, 'late-rump.sock')}` },
    });
    await p.ready();
    const admin = p.logs.find((l) => l.msg.startsWith('admin server on '))!.url as string;
    expect((await fetch(`${admin}/healthz`)).status).toBe(503);
    await p.waitFor((l) => l.msg === 'kernel unreachable', 'kernel unreachable');
    const late = spawnRumpKernel(
      ['--rc', path.join(dir, 'rc'), `unix://${path.join(dir, 'late-rump.sock')}`],
      {
        name: 'late kernel',
      },
    );
    await late.ready();
    await p.waitFor((l) => l.msg === 'kernel connected', 'kernel connected');
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    const { socket, msg } = await firstMessage(sock);
    expect(msg.type).toBe('HELLO');
    socket.destroy();
    expect((await p.stop()).code).toBe(0);
    await late.stop();
  });
});
