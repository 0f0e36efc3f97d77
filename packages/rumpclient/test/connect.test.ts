// Connecting: RUMP_SERVER, unix and TCP, the banner, the NEW_PROCESS and JOIN handshakes,
// tokens, timeouts — against the scripted server over real sockets.

import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  CLASS,
  type Frame,
  FrameSplitter,
  HANDSHAKE,
  TYPE,
  decodeFrame,
  encodeFrame,
  handshakeOk,
  pingRequest,
} from '@rumpflow/sysproxy';
import { describe, expect, it } from 'vitest';
import { ERRNO, RumpClient, SyscallError } from '../src/index.js';
import { ScriptedServer } from './scripted-server.js';
import { client, server, socketPath, track } from './helpers.js';

/** The errno a promise rejects with (fails the test if it resolves or rejects otherwise). */
async function errnoOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(SyscallError);
  return (e as SyscallError).code;
}

/** A bare TCP server that writes `text` to each connection (a peer that is not ours). */
async function rawServer(onConn: (s: net.Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

describe('connect', () => {
  it('takes the server from RUMP_SERVER and makes a new process named after the program', async () => {
    const srv = await server({ firstPid: 7 });
    const c = await client(undefined, { env: { RUMP_SERVER: srv.url }, program: 'switchd' });
    expect(c.pid).toBe(7);
    expect(c.secret).toHaveLength(16);
    expect(Buffer.from(c.secret).equals(srv.procs.get(7)!.secret)).toBe(true);
    expect(c.url).toBe(srv.url);
    expect(c.banner).toMatchObject({ version: 1, implementation: 'scripted-server', auth: 'none' });
    const hs = srv.framesOf(TYPE.HANDSHAKE)[0]!.frame;
    expect(hs.aux).toBe(HANDSHAKE.NEW_PROCESS);
    expect(hs.body).toEqual(['switchd', null]);
    expect(await c.getpid()).toBe(7);
  });

  it('names RUMP_SERVER when there is no server to connect to', async () => {
    await expect(RumpClient.connect(undefined, { env: {} })).rejects.toThrow(/RUMP_SERVER/);
    await expect(RumpClient.connect('http://x', { env: {} })).rejects.toThrow(
      /unix:\/\/\/path or tcp:\/\/host:port|unknown scheme/,
    );
  });

  it('connects over TCP too', async () => {
    const srv = await ScriptedServer.start({});
    try {
      const c = await RumpClient.connect(srv.url, { env: {} });
      expect(srv.url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      expect(await c.getpid()).toBe(c.pid);
      await c.close();
    } finally {
      await srv.close();
    }
  });

  it('uses the script name as the default program name', async () => {
    const srv = await server();
    const c = track(await RumpClient.connect(srv.url, { env: {} }));
    const program = srv.procs.get(c.pid)!.program;
    expect(program).toBe(path.basename(process.argv[1] ?? 'node'));
  });

  it('reports a socket that is not there with its errno', async () => {
    expect(await errnoOf(RumpClient.connect(`unix://${socketPath()}`, { env: {} }))).toBe('ENOENT');
  });
});

describe('banner', () => {
  it('refuses a peer whose first line is not a rumpflow banner', async () => {
    const srv = await server({ banner: 'SSH-2.0-OpenSSH_9.2\r\n' });
    const e = await RumpClient.connect(srv.url, { env: {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SyscallError);
    expect((e as SyscallError).code).toBe('EPROTO');
    expect((e as Error).message).toMatch(/not a rumpflow sysproxy banner/);
    expect(srv.framesOf(TYPE.HANDSHAKE)).toHaveLength(0);
  });

  it('reads at most 256 bytes looking for the banner', async () => {
    const peer = await rawServer((s) => s.write('x'.repeat(10_000)));
    try {
      const e = await RumpClient.connect(peer.url, { env: {} }).catch((x: unknown) => x);
      expect((e as SyscallError).code).toBe('EPROTO');
      expect((e as Error).message).toMatch(/within 256 bytes/);
    } finally {
      await peer.close();
    }
  });

  it('refuses another protocol version and an impossible maxframe', async () => {
    const v2 = await server({ banner: 'RUMPFLOW-SP/2 future 9.9 auth=none maxframe=65536\n' });
    await expect(RumpClient.connect(v2.url, { env: {} })).rejects.toThrow(/protocol version 2/);
    const tiny = await server({ banner: 'RUMPFLOW-SP/1 odd 1.0 auth=none maxframe=8\n' });
    await expect(RumpClient.connect(tiny.url, { env: {} })).rejects.toThrow(/maxframe 8/);
  });

  it('fails with ENOTCONN when the peer closes before the banner', async () => {
    const peer = await rawServer((s) => s.end('RUMPFLOW-SP/1 trunc'));
    try {
      expect(await errnoOf(RumpClient.connect(peer.url, { env: {} }))).toBe('ENOTCONN');
    } finally {
      await peer.close();
    }
  });

  it('times out on a peer that never speaks', async () => {
    const srv = await server({ silent: true });
    const t0 = Date.now();
    expect(await errnoOf(RumpClient.connect(srv.url, { env: {}, connectTimeoutMs: 200 }))).toBe('ETIMEDOUT');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("reads a banner that arrives in pieces, and answers the server's PING", async () => {
    const banner = 'RUMPFLOW-SP/1 pieces 1.0 auth=none maxframe=4096\n';
    let pong: Promise<Frame> | undefined;
    const peer = await rawServer((s) => {
      s.write(banner.slice(0, 5));
      setTimeout(() => s.write(banner.slice(5, 30)), 20);
      setTimeout(() => s.write(banner.slice(30)), 40);
      const splitter = new FrameSplitter(4096);
      pong = new Promise((resolve) =>
        s.on('data', (chunk: Buffer) => {
          for (const raw of splitter.push(chunk)) {
            const f = decodeFrame(raw);
            if (f.type === TYPE.HANDSHAKE) {
              // the answer and a request of the server's own in one write
              s.write(
                Buffer.concat([
                  encodeFrame(handshakeOk(f.reqno, 42, new Uint8Array(16))),
                  encodeFrame(pingRequest(9)),
                ]),
              );
            } else if (f.type === TYPE.PING) resolve(f);
          }
        }),
      );
    });
    try {
      const c = track(await RumpClient.connect(peer.url, { env: {} }));
      expect(c.pid).toBe(42);
      expect(c.banner.implementation).toBe('pieces');
      expect(await pong).toMatchObject({ reqno: 9, cls: CLASS.RESPONSE, type: TYPE.PING });
      await c.close();
    } finally {
      await peer.close();
    }
  });
});

describe('token', () => {
  const secretToken = 's3cret';

  it('sends opts.token to a server that asks for one', async () => {
    const srv = await server({ auth: 'token', token: secretToken });
    const c = await client(srv.url, { token: secretToken });
    expect(srv.framesOf(TYPE.HANDSHAKE)[0]!.frame.body[1]).toBe(secretToken);
    expect(await c.getpid()).toBe(c.pid);
  });

  it('reads the token from a file, or from RUMP_AUTH_TOKEN', async () => {
    const srv = await server({ auth: 'token', token: secretToken });
    const file = path.join(path.dirname(socketPath()), 'token');
    writeFileSync(file, `${secretToken}\n`);
    await client(srv.url, { tokenFile: file });
    await client(srv.url, { env: { RUMP_AUTH_TOKEN: secretToken } });
    await expect(client(srv.url, { tokenFile: `${file}.missing` })).rejects.toThrow(/token file .*missing/);
  });

  it('sends no token to a server that asks for none', async () => {
    const srv = await server();
    await client(srv.url, { token: secretToken });
    expect(srv.framesOf(TYPE.HANDSHAKE)[0]!.frame.body[1]).toBeNull();
  });

  it('rejects with EAUTH for a wrong token and ENEEDAUTH for a missing one', async () => {
    const srv = await server({ auth: 'token', token: secretToken });
    const e = await RumpClient.connect(srv.url, { env: {}, token: 'guess' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SyscallError);
    expect((e as SyscallError).errno).toBe(ERRNO.EAUTH);
    expect((e as SyscallError).code).toBe('EAUTH');
    expect(await errnoOf(RumpClient.connect(srv.url, { env: {} }))).toBe('ENEEDAUTH');
  });
});

describe('join', () => {
  it('opens a second connection into the same process, sharing its fds', async () => {
    const srv = await server();
    const a = await client(srv.url);
    const b = track(await a.join());
    expect(b.pid).toBe(a.pid);
    expect(await b.getpid()).toBe(a.pid);
    const join = srv.framesOf(TYPE.HANDSHAKE)[1]!.frame;
    expect(join.aux).toBe(HANDSHAKE.JOIN);
    const [r, w] = await a.pipe2();
    // a read blocked on one connection holds up nothing on the other
    const reading = a.read(r, 100);
    await b.write(w, new TextEncoder().encode('via b'));
    expect(new TextDecoder().decode(await reading)).toBe('via b');
    // the process lives while one of its connections does
    await a.close();
    expect(await b.getpid()).toBe(b.pid);
  });

  it('is refused with ESRCH for a wrong secret', async () => {
    const srv = await server();
    const a = await client(srv.url);
    const wrong = new Uint8Array(16).fill(7);
    expect(await errnoOf(RumpClient.connect(srv.url, { env: {}, join: { pid: a.pid, secret: wrong } }))).toBe(
      'ESRCH',
    );
    const ok = await client(srv.url, { join: { pid: a.pid, secret: a.secret } });
    expect(ok.pid).toBe(a.pid);
  });

  it('needs a live connection', async () => {
    const srv = await server();
    const a = await client(srv.url);
    await a.close();
    expect(await errnoOf(a.join())).toBe('ENOTCONN');
  });
});
