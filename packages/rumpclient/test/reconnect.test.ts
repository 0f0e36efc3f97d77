// Losing the connection: the retry policies of rumpclient_setconnretry against a server that
// goes away and comes back on the same unix path with new pids.

import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type RumpClient, SyscallError } from '../src/index.js';
import { client, server, socketPath } from './helpers.js';

async function errnoOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => expect.fail('resolved'),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(SyscallError);
  return (e as SyscallError).code;
}

/** Every event a client emits, in order. */
function events(c: RumpClient): string[] {
  const log: string[] = [];
  c.on('disconnect', (i) => log.push(`disconnect ${i.pid} ${i.willRetry ? 'retry' : 'final'}`));
  c.on('reconnect', (i) => log.push(`reconnect ${i.oldPid}->${i.newPid}`));
  c.on('close', (e) => log.push(`close${e ? ` ${(e as SyscallError).code}` : ''}`));
  return log;
}

const fast = { initialMs: 20, maxMs: 100 };

describe("retry 'never' (the default)", () => {
  it('fails calls in flight and all later calls with ENOTCONN', async () => {
    const srv = await server();
    const c = await client(srv.url);
    const log = events(c);
    const [r] = await c.pipe2();
    const blocked = errnoOf(c.read(r, 1));
    await srv.waitForFrame((f) => f.aux === 3);
    const closed = once(c, 'close');
    srv.dropConnections();
    expect(await blocked).toBe('ENOTCONN');
    const [why] = (await closed) as [SyscallError];
    expect(why.code).toBe('ENOTCONN');
    expect(log).toEqual([`disconnect ${c.pid} final`, 'close ENOTCONN']);
    expect(c.connected).toBe(false);
    expect(c.closed).toBe(true);
    expect(await errnoOf(c.getpid())).toBe('ENOTCONN');
    expect(await errnoOf(c.write(0, new Uint8Array(1)))).toBe('ENOTCONN');
  });

  it('close() ends the client: calls in flight fail ENOTCONN, no disconnect event', async () => {
    const srv = await server();
    const c = await client(srv.url);
    const log = events(c);
    const [r] = await c.pipe2();
    const blocked = errnoOf(c.read(r, 1));
    await c.close();
    expect(await blocked).toBe('ENOTCONN');
    expect(await errnoOf(c.getpid())).toBe('ENOTCONN');
    expect(log).toEqual(['close']);
    await c.close(); // twice is fine
  });
});

describe("retry 'once'", () => {
  it('reconnects to a restarted server as a NEW process and says so', async () => {
    const path = socketPath();
    const srv = await server({ path, firstPid: 100 });
    const c = await client(srv.url, { retry: 'once' });
    const log = events(c);
    expect(c.pid).toBe(100);
    const [r, w] = await c.pipe2();
    const blocked = errnoOf(c.read(r, 1));
    await srv.waitForFrame((f) => f.aux === 3);

    // the server restarts: a new one listens on the same path, the old one's connections drop
    srv.stopListening();
    const srv2 = await server({ path, firstPid: 200 });
    const reconnected = once(c, 'reconnect');
    srv.dropConnections();

    expect(await blocked).toBe('ENOTCONN'); // not re-sent
    const [info] = (await reconnected) as [{ oldPid: number; newPid: number }];
    expect(info).toEqual({ oldPid: 100, newPid: 200 });
    expect(c.pid).toBe(200);
    expect(c.connected).toBe(true);
    expect(await c.getpid()).toBe(200);
    // kernel state is gone: the old fds mean nothing in the new process
    expect(await errnoOf(c.write(w, new Uint8Array(1)))).toBe('EBADF');
    expect(log).toEqual(['disconnect 100 retry', 'reconnect 100->200']);
    expect(srv2.framesOf(1)[0]!.frame.body[0]).toBe('test'); // the same program name
  });

  it('gives up after one failed attempt', async () => {
    const srv = await server();
    const c = await client(srv.url, { retry: 'once' });
    const log = events(c);
    srv.stopListening();
    const closed = once(c, 'close');
    srv.dropConnections();
    const [why] = (await closed) as [SyscallError];
    expect(why.code).toBe('ENOTCONN');
    expect(why.message).toMatch(/ENOENT|ECONNREFUSED/);
    expect(log).toEqual([`disconnect ${c.pid} retry`, 'close ENOTCONN']);
    expect(await errnoOf(c.getpid())).toBe('ENOTCONN');
  });
});

describe('retry { seconds }', () => {
  it('keeps trying with backoff until the server is back; calls made meanwhile go to the new process', async () => {
    const path = socketPath();
    const srv = await server({ path, firstPid: 100 });
    const c = await client(srv.url, { retry: { seconds: 10 }, backoff: fast });
    const log = events(c);
    const disconnected = once(c, 'disconnect');
    await srv.close();
    await disconnected;
    // a call made while the client reconnects waits for the new connection
    const waiting = c.getpid();
    await new Promise((r) => setTimeout(r, 300));
    expect(c.connected).toBe(false);
    await server({ path, firstPid: 300 });
    expect(await waiting).toBe(300);
    expect(log).toEqual(['disconnect 100 retry', 'reconnect 100->300']);
  });

  it('gives up when the time is up', async () => {
    const srv = await server();
    const c = await client(srv.url, { retry: { seconds: 0.3 }, backoff: fast });
    const t0 = Date.now();
    const closed = once(c, 'close');
    const disconnected = once(c, 'disconnect');
    await srv.close();
    await disconnected;
    const waiting = errnoOf(c.getpid());
    await closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await waiting).toBe('ENOTCONN');
  });

  it('{ seconds: 0 } is never', async () => {
    const srv = await server();
    const c = await client(srv.url, { retry: { seconds: 0 } });
    const log = events(c);
    const closed = once(c, 'close');
    srv.dropConnections();
    await closed;
    expect(log).toEqual([`disconnect ${c.pid} final`, 'close ENOTCONN']);
  });

  it('refuses a policy that makes no sense', async () => {
    const srv = await server();
    await expect(client(srv.url, { retry: { seconds: -1 } })).rejects.toThrow(TypeError);
  });
});

describe("retry 'forever'", () => {
  it('reconnects however long it takes, and close() stops it', async () => {
    const path = socketPath();
    const srv = await server({ path, firstPid: 100 });
    const c = await client(srv.url, { retry: 'forever', backoff: fast });
    const reconnected = once(c, 'reconnect');
    await srv.close();
    await new Promise((r) => setTimeout(r, 250));
    const srv2 = await server({ path, firstPid: 400 });
    const [info] = (await reconnected) as [{ newPid: number }];
    expect(info.newPid).toBe(400);

    const disconnected = once(c, 'disconnect');
    await srv2.close();
    await disconnected;
    const waiting = errnoOf(c.getpid());
    const ac = new AbortController();
    const aborted = c.getpid({ signal: ac.signal });
    ac.abort();
    expect((await aborted.catch((e: unknown) => e)) as DOMException).toMatchObject({ name: 'AbortError' });
    await c.close();
    expect(await waiting).toBe('ENOTCONN');
    expect(c.closed).toBe(true);
  });
});

describe('join and reconnect', () => {
  it('a joined client keeps its own policy (default never)', async () => {
    const srv = await server();
    const a = await client(srv.url, { retry: 'once' });
    const b = await a.join();
    const closed = once(b, 'close');
    srv.stopListening();
    srv.dropConnections();
    await closed;
    expect(b.closed).toBe(true);
    await b.close();
  });
});
