import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenUnix } from '@rumpflow/service';
import { encode } from '@rumpflow/openflow';
import type { OfConnection } from './connection.js';
import { ManualTimers } from './manual-timers.js';
import { ActiveConnector, backoffDelay, listenPassive, type TlsOptions } from './transport.js';

describe('backoffDelay', () => {
  it('retries first within 1 s, doubles, and caps at 8 s', () => {
    const top = [0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, {}, () => 0));
    expect(top).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    const low = [0, 1, 2, 3].map((a) => backoffDelay(a, {}, () => 0.999999));
    expect(low).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 300, jitter: 0 })).toBe(300);
  });
});

/** A bare switch-side peer: answers HELLO, counts connections. */
async function helloServer(port = 0): Promise<{ server: net.Server; port: number; accepted: () => number }> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.on('error', () => undefined);
    s.resume(); // read (and discard) so the peer's FIN is seen and the socket closes
    s.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] }));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { server, port: (server.address() as net.AddressInfo).port, accepted: () => n };
}

describe('ActiveConnector', () => {
  it('reconnects with backoff after the peer goes away and comes back (manual clock)', async () => {
    const timers = new ManualTimers();
    const first = await helloServer();
    const c = new ActiveConnector(
      { kind: 'tcp', host: '127.0.0.1', port: first.port },
      { timers, random: () => 0, connection: { echoIntervalMs: 0 } },
    );
    const delays: number[] = [];
    c.on('retry', (d) => delays.push(d));
    const connected = () => new Promise<OfConnection>((r) => c.once('connection', r));
    let next = connected();
    c.start();
    const conn1 = await next;
    expect(conn1.isReady).toBe(true);

    // the peer goes away: every attempt is refused and the delays grow
    const serverClosed = new Promise<void>((r) => first.server.close(() => r()));
    const gone = new Promise((r) => conn1.once('close', r));
    conn1.stream.destroy();
    await gone;
    await serverClosed;
    for (let i = 0; i < 4; i++) {
      const retried = new Promise((r) => c.once('retry', r));
      timers.advance(delays[delays.length - 1] ?? 0);
      await retried;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);

    // the peer is back on the same port: the next attempt connects and the backoff resets
    const second = await helloServer(first.port);
    next = connected();
    timers.advance(8000);
    const conn2 = await next;
    expect(conn2.isReady).toBe(true);
    expect(second.accepted()).toBe(1);
    c.stop();
    await new Promise<void>((r) => second.server.close(() => r()));
  });
});

describe('listenPassive', () => {
  it('accepts many connections on ptcp', async () => {
    const conns: OfConnection[] = [];
    const l = await listenPassive({ kind: 'ptcp', port: 0, addr: '127.0.0.1' }, (c) => conns.push(c), {
      connection: { echoIntervalMs: 0 },
    });
    expect(l.address.addr).toBe('127.0.0.1');
    const clients = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(l.address.port as number, '127.0.0.1', () => {
              s.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] }));
              resolve(s);
            });
          }),
      ),
    );
    while (conns.length < 3) await new Promise((r) => setTimeout(r, 5));
    await Promise.all(conns.map((c) => c.ready()));
    expect(conns).toHaveLength(3);
    for (const s of clients) s.destroy();
    await l.close();
  });
});

describe('punix', () => {
  it('listens on a Unix socket created with mode 0600 and accepts unix: connections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofconn-'));
    const path = join(dir, 'sub', 'switch0.mgmt');
    const accepted: OfConnection[] = [];
    const l = await listenPassive({ kind: 'punix', path }, (c) => accepted.push(c), {
      connection: { echoIntervalMs: 0 },
      listenUnix: (server, p) => listenUnix(server, p, 0o600),
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const c = new ActiveConnector({ kind: 'unix', path }, { connection: { echoIntervalMs: 0 } });
    const conn = await new Promise<OfConnection>((r) => {
      c.once('connection', r);
      c.start();
    });
    expect((await conn.request({ type: 'ECHO_REQUEST', data: new Uint8Array([1]) })).type).toBe('ECHO_REPLY');
    c.stop();
    for (const a of accepted) a.close();
    await l.close();
    expect(() => statSync(path)).toThrow(/ENOENT/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('TLS with a throwaway CA', () => {
  let dir = '';
  let server: TlsOptions;
  let client: TlsOptions;
  let haveOpenssl = true;

  beforeAll(() => {
    try {
      execFileSync('openssl', ['version']);
    } catch {
      haveOpenssl = false;
      console.warn('SKIPPING TLS tests: openssl is not installed (apt-get install -y openssl)');
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'rumpflow-ca-'));
    const sh = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    sh('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=rumpflow test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
    for (const who of ['switch', 'controller']) {
      sh('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${who}`, '-keyout', `${who}.key`, '-out', `${who}.csr`);
      sh('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${who}.crt`);
    }
    const read = (f: string) => readFileSync(join(dir, f));
    server = { cert: read('controller.crt'), key: read('controller.key'), ca: read('ca.crt') };
    client = { cert: read('switch.crt'), key: read('switch.key'), ca: read('ca.crt') };
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects tls: to pssl: with certificates from the test CA, and refuses a stranger', async () => {
    if (!haveOpenssl) return;
    const accepted: OfConnection[] = [];
    const l = await listenPassive({ kind: 'pssl', port: 0, addr: '127.0.0.1' }, (c) => accepted.push(c), {
      tls: server,
      connection: { echoIntervalMs: 0 },
    });
    const c = new ActiveConnector({ kind: 'tls', host: '127.0.0.1', port: l.address.port as number }, { tls: client, connection: { echoIntervalMs: 0 } });
    const conn = await new Promise<OfConnection>((r) => {
      c.once('connection', r);
      c.start();
    });
    expect(conn.isReady).toBe(true);
    const echo = await conn.request({ type: 'ECHO_REQUEST', data: new Uint8Array([9]) });
    expect([...echo.data]).toEqual([9]);
    c.stop();

    // a client whose certificate the CA did not sign is refused during the handshake
    const stranger = new ActiveConnector(
      { kind: 'tls', host: '127.0.0.1', port: l.address.port as number },
      { tls: { ...client, cert: server.cert, key: server.key, ca: readFileSync(join(dir, 'switch.crt')) }, connection: { echoIntervalMs: 0 } },
    );
    const failed = new Promise<Error | undefined>((r) => stranger.once('disconnect', r));
    stranger.start();
    expect(await failed).toBeInstanceOf(Error);
    stranger.stop();
    for (const a of accepted) a.close();
    await l.close();
  });
});
