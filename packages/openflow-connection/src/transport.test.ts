import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi, type TestContext } from 'vitest';
import { listenUnix } from '@rumpflow/service';
import { encode } from '@rumpflow/openflow';
import { ManualTimers } from '@rumpflow/openflow-connection/testing';
import * as publicApi from '@rumpflow/openflow-connection';
import { ConnectionError, type OfConnection } from './connection.js';
import { ActiveConnector, RECONNECT_BACKOFF, listenPassive, type TlsOptions } from './transport.js';

describe('package entry points', () => {
  it('keeps ManualTimers out of the main entry, under /testing', () => {
    expect('ManualTimers' in publicApi).toBe(false);
    expect(typeof ManualTimers).toBe('function');
    expect(RECONNECT_BACKOFF).toEqual({ initialMs: 1000, maxMs: 8000, jitter: 0.5 });
  });
});

/** A bare switch-side peer: answers HELLO; counts connections and those still open. */
async function helloServer(port = 0, { dropAfterHello = false } = {}) {
  let n = 0;
  const live = new Set<net.Socket>();
  const server = net.createServer((s) => {
    n++;
    live.add(s);
    s.on('close', () => live.delete(s));
    s.on('error', () => undefined);
    s.resume(); // read (and discard) so the peer's FIN is seen and the socket closes
    s.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] }));
    if (dropAfterHello) s.end();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    server,
    port: (server.address() as net.AddressInfo).port,
    accepted: () => n,
    live: () => live.size,
    close: () => {
      for (const s of live) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('ActiveConnector', () => {
  it('reconnects with backoff after the peer goes away and comes back, and starts over once stable (manual clock)', async () => {
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
    const serverClosed = first.close();
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

    // the peer is back on the same port: the next attempt connects
    const second = await helloServer(first.port);
    next = connected();
    timers.advance(8000);
    const conn2 = await next;
    expect(conn2.isReady).toBe(true);
    expect(second.accepted()).toBe(1);

    // after 10 s up, the backoff starts over: a drop is retried within 1 s again
    timers.advance(10_000);
    const retried = new Promise<number>((r) => c.once('retry', r));
    conn2.stream.destroy();
    expect(await retried).toBe(1000);
    c.stop();
    await second.close();
  });

  it('keeps backing off from a peer that accepts, says HELLO and drops at once', async () => {
    const timers = new ManualTimers();
    const flaky = await helloServer(0, { dropAfterHello: true });
    const c = new ActiveConnector(
      { kind: 'tcp', host: '127.0.0.1', port: flaky.port },
      { timers, random: () => 0, connection: { echoIntervalMs: 0 } },
    );
    let connections = 0;
    c.on('connection', () => connections++);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const retried = new Promise<number>((r) => c.once('retry', r));
      if (i === 0) c.start();
      else timers.advance(delays[delays.length - 1] as number);
      delays.push(await retried);
    }
    expect(connections).toBe(5); // every attempt did get through HELLO
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
    c.stop();
    await flaky.close();
  });

  it('stop() then start() while a connect is in flight gives one connection, not two', async () => {
    const srv = await helloServer();
    const c = new ActiveConnector({ kind: 'tcp', host: '127.0.0.1', port: srv.port }, { connection: { echoIntervalMs: 0 } });
    const conns: OfConnection[] = [];
    c.on('connection', (conn) => conns.push(conn));
    c.start();
    c.stop(); // the first openStream is still pending
    c.start();
    while (conns.length === 0) await settle(5);
    await settle(100);
    expect(conns).toHaveLength(1);
    expect(c.connection).toBe(conns[0]);
    while (srv.live() > 1) await settle(5); // the stale stream was destroyed
    expect(srv.live()).toBe(1);
    c.stop();
    await srv.close();
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
    while (conns.length < 3) await settle(5);
    await Promise.all(conns.map((c) => c.ready()));
    expect(conns).toHaveLength(3);
    for (const s of clients) s.destroy();
    await l.close();
  });

  it('survives an error on the listening socket (EMFILE on accept) and keeps accepting', async () => {
    const errors: Error[] = [];
    const conns: OfConnection[] = [];
    const l = await listenPassive({ kind: 'ptcp', port: 0, addr: '127.0.0.1' }, (c) => conns.push(c), {
      connection: { echoIntervalMs: 0 },
      onError: (e) => errors.push(e),
    });
    const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
    expect(() => l.server.emit('error', emfile)).not.toThrow();
    expect(errors).toEqual([emfile]);
    const s = net.connect(l.address.port as number, '127.0.0.1', () => s.write(encode({ type: 'HELLO', xid: 1, version: 4, elements: [] })));
    while (conns.length < 1) await settle(5);
    expect(await (conns[0] as OfConnection).ready()).toBe(4);
    s.destroy();
    await l.close();

    // without onError: a line on stderr, no crash
    const l2 = await listenPassive({ kind: 'ptcp', port: 0, addr: '127.0.0.1' }, () => undefined);
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(() => l2.server.emit('error', emfile)).not.toThrow();
      expect(spy).toHaveBeenCalledWith(expect.stringMatching(/^ptcp:\d+:127\.0\.0\.1: listener error: accept EMFILE$/));
    } finally {
      spy.mockRestore();
    }
    await l2.close();
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

describe('TLS with throwaway CAs', () => {
  let dir = '';
  let haveOpenssl = true;
  /** The controller: certificate from the test CA, subjectAltName IP:127.0.0.1. */
  let server: TlsOptions;
  /** The switch: client certificate from the test CA. */
  let client: TlsOptions;
  /** A server certificate from the test CA that names another address (IP:127.0.0.2, DNS:elsewhere.example). */
  let wrongName: TlsOptions;
  /** A client certificate from a second, unrelated CA. */
  let stranger: TlsOptions;

  beforeAll(() => {
    try {
      execFileSync('openssl', ['version']);
    } catch {
      haveOpenssl = false;
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'rumpflow-ca-'));
    const sh = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    for (const ca of ['ca', 'ca2']) sh('req', '-x509', ...ec, '-days', '1', '-subj', `/CN=rumpflow test ${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
    const issue = (who: string, ca: string, san?: string) => {
      sh('req', ...ec, '-subj', `/CN=${who}`, '-keyout', `${who}.key`, '-out', `${who}.csr`);
      const ext = san ? ['-extfile', `${who}.ext`] : [];
      if (san) writeFileSync(join(dir, `${who}.ext`), `subjectAltName=${san}\n`);
      sh('x509', '-req', '-in', `${who}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', ...ext, '-out', `${who}.crt`);
    };
    issue('controller', 'ca', 'IP:127.0.0.1');
    issue('switch', 'ca');
    issue('elsewhere', 'ca', 'IP:127.0.0.2,DNS:elsewhere.example');
    issue('stranger', 'ca2');
    const read = (f: string) => readFileSync(join(dir, f));
    server = { cert: read('controller.crt'), key: read('controller.key'), ca: read('ca.crt') };
    client = { cert: read('switch.crt'), key: read('switch.key'), ca: read('ca.crt') };
    wrongName = { cert: read('elsewhere.crt'), key: read('elsewhere.key'), ca: read('ca.crt') };
    stranger = { cert: read('stranger.crt'), key: read('stranger.key'), ca: read('ca.crt') };
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function needOpenssl(ctx: TestContext): void {
    if (haveOpenssl) return;
    console.warn(`SKIPPING "${ctx.task.name}": openssl is not installed (apt-get install -y openssl)`);
    ctx.skip();
  }

  /** Start a connector and resolve with its first connection, or its first disconnect reason. */
  function attempt(c: ActiveConnector): Promise<OfConnection | Error | undefined> {
    return new Promise((r) => {
      c.once('connection', r);
      c.once('disconnect', r);
      c.start();
    });
  }

  async function pssl(tlsOpts: TlsOptions) {
    const accepted: OfConnection[] = [];
    const l = await listenPassive({ kind: 'pssl', port: 0, addr: '127.0.0.1' }, (c) => accepted.push(c), {
      tls: tlsOpts,
      connection: { echoIntervalMs: 0 },
    });
    return { l, accepted, port: l.address.port as number };
  }

  it('connects tls: to pssl: with certificates from the test CA; the server is checked by its IP address', async (ctx) => {
    needOpenssl(ctx);
    const { l, accepted, port } = await pssl(server);
    const c = new ActiveConnector({ kind: 'tls', host: '127.0.0.1', port }, { tls: client, connection: { echoIntervalMs: 0 } });
    const conn = await attempt(c);
    expect((conn as OfConnection).isReady).toBe(true);
    const echo = await (conn as OfConnection).request({ type: 'ECHO_REQUEST', data: new Uint8Array([9]) });
    expect([...echo.data]).toEqual([9]);
    c.stop();
    for (const a of accepted) a.close();
    await l.close();
  });

  it('refuses a server whose certificate names neither the address nor the servername', async (ctx) => {
    needOpenssl(ctx);
    const { l, accepted, port } = await pssl(wrongName);
    const c = new ActiveConnector({ kind: 'tls', host: '127.0.0.1', port }, { tls: client, connection: { echoIntervalMs: 0 } });
    const failed = await attempt(c);
    c.stop();
    expect(failed).toBeInstanceOf(Error);
    expect((failed as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    // the name the certificate does carry, given as servername, is accepted
    const named = new ActiveConnector(
      { kind: 'tls', host: '127.0.0.1', port },
      { tls: { ...client, servername: 'elsewhere.example' }, connection: { echoIntervalMs: 0 } },
    );
    expect(await attempt(named)).toHaveProperty('isReady', true);
    named.stop();
    for (const a of accepted) a.close();
    await l.close();
  });

  it('the client refuses a server its CA did not sign', async (ctx) => {
    needOpenssl(ctx);
    const { l, accepted, port } = await pssl(server);
    const c = new ActiveConnector(
      { kind: 'tls', host: '127.0.0.1', port },
      { tls: { ...client, ca: readFileSync(join(dir, 'ca2.crt')) }, connection: { echoIntervalMs: 0 } },
    );
    const failed = await attempt(c);
    c.stop();
    expect(failed).toBeInstanceOf(Error);
    expect((failed as NodeJS.ErrnoException).code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
    for (const a of accepted) a.close();
    await l.close();
  });

  it('the pssl: server refuses a client certificate from another CA', async (ctx) => {
    needOpenssl(ctx);
    const { l, accepted, port } = await pssl(server);
    // Node verifies the client's chain after the handshake and destroys the socket: the
    // server reports it as 'tlsClientError', the socket's authorizationError says why
    const refused = new Promise<string | undefined>((r) =>
      l.server.once('tlsClientError', (_e: Error, sock: TLSSocket) => r(String(sock.authorizationError))),
    );
    const c = new ActiveConnector({ kind: 'tls', host: '127.0.0.1', port }, { tls: stranger, connection: { echoIntervalMs: 0 } });
    const outcome = await attempt(c);
    c.stop();
    // TLS 1.3: the client finishes its side of the handshake before the server checks its
    // certificate, so its attempt ends in a disconnect (the server just closes), never a
    // connection; the refusal itself is the server's
    expect(outcome === undefined || outcome instanceof Error).toBe(true);
    expect(await refused).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    await settle();
    expect(accepted).toEqual([]); // never handed to the application
    await l.close();
  });

  it('gives up a connect whose TLS handshake never completes (blackholed peer) after connectTimeoutMs', async (ctx) => {
    needOpenssl(ctx);
    const timers = new ManualTimers();
    // a plain TCP server that accepts and never says a word: the TLS handshake hangs
    const sockets: net.Socket[] = [];
    const mute = net.createServer((s) => {
      s.on('error', () => undefined);
      s.resume(); // reads the ClientHello, answers nothing
      sockets.push(s);
    });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    const port = (mute.address() as net.AddressInfo).port;
    const c = new ActiveConnector({ kind: 'tls', host: '127.0.0.1', port }, { tls: client, timers, random: () => 0 });
    const failed = new Promise<Error | undefined>((r) => c.once('disconnect', r));
    c.start();
    while (sockets.length === 0) await settle(5);
    timers.advance(9_999);
    timers.advance(1);
    const reason = await Promise.race([failed, settle(2000).then(() => new Error('still waiting'))]);
    expect(reason).toBeInstanceOf(ConnectionError);
    expect((reason as ConnectionError).reason).toBe('connect-timeout');
    // the attempt's socket was closed: the blackholed peer sees it go
    const peerSocket = sockets[0] as net.Socket;
    while (!peerSocket.readableEnded && !peerSocket.destroyed) await settle(5);
    c.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => mute.close(() => r()));
  });
});
