import { link, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastify } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_SOCKET_PATH_BYTES,
  UnixSocketError,
  listenUnix,
  removeSocketFile,
  removeSocketFileSync,
  type UnixListener,
} from './unix-socket.js';

let dir: string;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rf-sock-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

function track(listener: UnixListener): UnixListener {
  cleanups.push(() => listener.close());
  return listener;
}

function echoServer(): Server {
  const server = createServer((s) => s.pipe(s));
  cleanups.push(
    () => new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
  );
  return server;
}

async function roundTrip(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('error', reject);
    s.once('data', (d) => {
      s.end();
      resolve(d.toString());
    });
    s.write(text);
  });
}

async function expectSocketError(p: Promise<unknown>, code: string, message: string | RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnixSocketError);
  expect((err as UnixSocketError).code).toBe(code);
  expect((err as UnixSocketError).message).toMatch(message);
}

/** A socket file with nobody accepting: a listener killed without cleanup leaves one. */
async function staleSocket(path: string): Promise<void> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(path, resolve));
  // Closing a net.Server unlinks its path (libuv); keep a hard link to the inode to simulate a crash.
  await link(path, `${path}.keep`);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  await rename(`${path}.keep`, path);
}

describe('listenUnix', () => {
  it.each([
    ['0600', 0o600],
    ['0660', 0o660],
    ['0666', 0o666],
  ] as const)('creates the socket with mode %s from the start', async (_label, mode) => {
    const path = join(dir, `m${mode.toString(8)}.sock`);
    const umaskBefore = process.umask();
    const l = track(await listenUnix(echoServer(), path, mode));
    expect(process.umask()).toBe(umaskBefore);
    const st = await stat(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(mode);
    expect(l.mode).toBe(mode);
    expect(await roundTrip(path, 'hello')).toBe('hello');
  });

  it('defaults to 0600', async () => {
    const path = join(dir, 'd.sock');
    track(await listenUnix(echoServer(), path));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('creates missing parent directories (mode 0755 or as given)', async () => {
    const path = join(dir, 'run', 'rumpflow', 'a.sock');
    track(await listenUnix(echoServer(), path, 0o660));
    expect((await stat(join(dir, 'run'))).mode & 0o777).toBe(0o755 & ~process.umask());
    expect((await stat(join(dir, 'run', 'rumpflow'))).isDirectory()).toBe(true);
    const other = join(dir, 'private', 'b.sock');
    track(await listenUnix(echoServer(), other, 0o600, { dirMode: 0o700 }));
    expect((await stat(join(dir, 'private'))).mode & 0o777).toBe(0o700);
  });

  it('replaces a stale socket file', async () => {
    const path = join(dir, 'stale.sock');
    await staleSocket(path);
    await link(path, `${path}.orig`); // keeps the old inode allocated, so its number is not reused
    const before = await stat(path);
    expect(before.isSocket()).toBe(true);
    await expect(roundTrip(path, 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    track(await listenUnix(echoServer(), path, 0o600));
    const after = await stat(path);
    expect(after.ino).not.toBe(before.ino);
    expect(await roundTrip(path, 'fresh')).toBe('fresh');
  });

  it('refuses a live socket: address in use, naming the path', async () => {
    const path = join(dir, 'live.sock');
    track(await listenUnix(echoServer(), path, 0o600));
    await expectSocketError(listenUnix(echoServer(), path, 0o600), 'EADDRINUSE', `address in use: ${path}`);
    // the first listener is untouched
    expect(await roundTrip(path, 'still here')).toBe('still here');
  });

  it('never deletes a file that is not a socket', async () => {
    const path = join(dir, 'precious.txt');
    await writeFile(path, 'data');
    await expectSocketError(
      listenUnix(echoServer(), path, 0o600),
      'ENOTSOCK',
      `${path} exists and is not a socket`,
    );
    expect(await readFile(path, 'utf8')).toBe('data');
    const sub = join(dir, 'subdir');
    await mkdir(sub);
    await expectSocketError(listenUnix(echoServer(), sub, 0o600), 'ENOTSOCK', /not a socket/);
  });

  it('refuses paths longer than sun_path', async () => {
    const path = join(dir, 'x'.repeat(MAX_SOCKET_PATH_BYTES));
    await expectSocketError(listenUnix(echoServer(), path, 0o600), 'ENAMETOOLONG', /socket path too long/);
  });

  it('close() stops accepting and removes the socket file', async () => {
    const path = join(dir, 'c.sock');
    const l = await listenUnix(echoServer(), path, 0o600);
    await l.close();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await l.close(); // idempotent
  });

  it('serves an http.Server and a fastify instance', async () => {
    const httpPath = join(dir, 'h.sock');
    const server = createHttpServer((_req, res) => res.end('plain http'));
    const l1 = track(await listenUnix(server, httpPath, 0o660));
    expect((await stat(httpPath)).mode & 0o777).toBe(0o660);

    const app = fastify();
    app.get('/ping', async () => ({ pong: true }));
    const fastPath = join(dir, 'f.sock');
    const l2 = track(await listenUnix(app, fastPath, 0o600));
    cleanups.push(() => app.close());
    expect((await stat(fastPath)).mode & 0o777).toBe(0o600);

    const get = (socketPath: string, path: string) =>
      new Promise<string>((resolve, reject) => {
        import('node:http')
          .then(({ request }) => {
            const req = request({ socketPath, path }, (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () => resolve(body));
            });
            req.on('error', reject);
            req.end();
          })
          .catch(reject);
      });
    expect(await get(httpPath, '/')).toBe('plain http');
    expect(JSON.parse(await get(fastPath, '/ping'))).toEqual({ pong: true });
    await l1.close();
    await l2.close();
    await expect(stat(fastPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('removeSocketFile', () => {
  it('removes a socket, reports a missing one, refuses other files', async () => {
    const path = join(dir, 'r.sock');
    await staleSocket(path);
    expect(await removeSocketFile(path)).toBe(true);
    expect(await removeSocketFile(path)).toBe(false);
    const file = join(dir, 'file');
    await writeFile(file, 'x');
    await expectSocketError(removeSocketFile(file), 'ENOTSOCK', /not a socket; not removing it/);
    expect(await readFile(file, 'utf8')).toBe('x');
  });

  it('sync variant only removes the expected inode and never throws', async () => {
    const path = join(dir, 's.sock');
    await staleSocket(path);
    const { ino } = await stat(path);
    expect(removeSocketFileSync(path, ino + 1)).toBe(false);
    expect(removeSocketFileSync(path, ino)).toBe(true);
    expect(removeSocketFileSync(path)).toBe(false);
    const file = join(dir, 'file');
    await writeFile(file, 'x');
    expect(removeSocketFileSync(file)).toBe(false);
    expect(await readFile(file, 'utf8')).toBe('x');
  });
});
