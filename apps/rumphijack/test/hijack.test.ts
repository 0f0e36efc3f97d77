// Unmodified Node scripts under the real rumphijack CLI against a real rump-kernel-server:
// devices, a pipe in the kernel, readiness and waitAny, sync calls, the RUMPHIJACK rules and
// RUMPHIJACK_RETRYCONNECT across a server restart.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KernelServer, ScriptDir, killAll, spawnCli, spawnNode } from './helpers.js';

let sockDir = '';
let server: KernelServer; // unset when beforeAll failed: afterAll checks
let scripts: ScriptDir;

beforeAll(async () => {
  sockDir = mkdtempSync(path.join(tmpdir(), 'rumphijack-'));
  scripts = new ScriptDir();
  server = await KernelServer.start(path.join(sockDir, 'rump.sock'));
});
afterAll(async () => {
  // whatever failed before (a server that never said 'started'), leave nothing behind
  await server?.stop();
  await killAll({ servers: true });
  scripts?.remove();
  rmSync(sockDir, { recursive: true, force: true });
});
afterEach(async () => {
  await killAll();
});

const run = (name: string, code: string, env: NodeJS.ProcessEnv = {}) =>
  spawnCli(['node', scripts.script(name, code)], { RUMP_SERVER: server.url, ...env });

describe('devices', () => {
  it('sync, callback and promise forms on /rump/dev/zero and /rump/dev/null, named and default imports', async () => {
    const r = await run(
      'devices.mjs',
      `
import fs from 'node:fs';
import { openSync, readSync, writeSync, closeSync, fstatSync, readvSync, writevSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
const out = (o) => console.log(JSON.stringify(o));

const z = openSync('/rump/dev/zero', 'r');
const buf = Buffer.alloc(16, 0xff);
out({ what: 'readSync', fd: z, n: readSync(z, buf, 4, 8, null), buf: [...buf] });
const a = Buffer.alloc(3, 9), b = Buffer.alloc(5, 9);
out({ what: 'readvSync', n: readvSync(z, [a, b]), bufs: [...a, ...b] });
const st = fstatSync(z);
out({ what: 'fstatSync', chr: st.isCharacterDevice(), fifo: st.isFIFO(), file: st.isFile() });
const n = openSync('/rump/dev/null', 'w');
out({ what: 'writeSync', n: writeSync(n, 'hello'), v: writevSync(n, [Buffer.from('ab'), Buffer.from('cde')]) });
const host = openSync('/dev/null', 'r');
out({ what: 'host', fd: host, n: readSync(host, Buffer.alloc(4)) });
closeSync(host);

const [n2, rbuf] = await new Promise((res, rej) => fs.read(z, Buffer.alloc(6, 1), 0, 6, null, (e, n, b) => (e ? rej(e) : res([n, b]))));
out({ what: 'read cb', n: n2, buf: [...rbuf] });
const opts = await new Promise((res, rej) => fs.read(z, { buffer: Buffer.alloc(4, 1), length: 2 }, (e, n, b) => (e ? rej(e) : res([n, [...b]]))));
out({ what: 'read options', r: opts });
const w = await promisify(fs.write)(n, Buffer.from('xyz'));
out({ what: 'write cb', w });
const cst = await promisify(fs.fstat)(z);
out({ what: 'fstat cb', chr: cst.isCharacterDevice() });
await promisify(fs.close)(z);
closeSync(n);
try { readSync(z, Buffer.alloc(1)); } catch (e) { out({ what: 'closed', code: e.code, syscall: e.syscall }); }

const fh = await open('/rump/dev/zero', 'r');
const got = await fh.read(Buffer.alloc(5, 3), 0, 5, null);
const big = await fh.stat({ bigint: true });
out({ what: 'FileHandle', fd: fh.fd, bytesRead: got.bytesRead, buf: [...got.buffer], chr: big.isCharacterDevice(), bigint: typeof big.mode });
await fh.close();
const wh = await open('/rump/dev/null', 'w');
out({ what: 'FileHandle write', n: (await wh.write('twelve bytes')).bytesWritten, v: (await wh.writev([Buffer.alloc(3), Buffer.alloc(4)])).bytesWritten });
await wh.close();

for (const p of ['/rump/dev/nope', '/rump']) {
  try { openSync(p); } catch (e) { out({ what: 'sync error', p, code: e.code, syscall: e.syscall, path: e.path, errno: e.errno, message: e.message }); }
  try { await open(p); } catch (e) { out({ what: 'promise error', p, code: e.code, syscall: e.syscall, path: e.path }); }
}
fs.open('/rump/dev/nope', 'r', (e) => out({ what: 'cb error', code: e.code, instance: e instanceof Error }));
`,
    ).done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const by = Object.fromEntries((r.lines as { what: string }[]).map((l) => [l.what, l]));
    expect(by.readSync).toEqual({
      what: 'readSync',
      fd: 128,
      n: 8,
      buf: [255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255],
    });
    expect(by.readvSync).toMatchObject({ n: 8, bufs: [0, 0, 0, 0, 0, 0, 0, 0] });
    expect(by.fstatSync).toMatchObject({ chr: true, fifo: false, file: false });
    expect(by.writeSync).toMatchObject({ n: 5, v: 5 });
    expect((by.host as unknown as { fd: number }).fd).toBeLessThan(128);
    expect(by.host).toMatchObject({ n: 0 });
    expect(by['read cb']).toMatchObject({ n: 6, buf: [0, 0, 0, 0, 0, 0] });
    expect(by['read options']).toMatchObject({ r: [2, [0, 0, 1, 1]] });
    expect(by['write cb']).toMatchObject({ w: 3 });
    expect(by['fstat cb']).toMatchObject({ chr: true });
    expect(by.closed).toMatchObject({ syscall: 'read' });
    expect(by.FileHandle).toMatchObject({ bytesRead: 5, buf: [0, 0, 0, 0, 0], chr: true, bigint: 'bigint' });
    expect((by.FileHandle as unknown as { fd: number }).fd).toBeGreaterThanOrEqual(128);
    expect(by['FileHandle write']).toMatchObject({ n: 12, v: 7 });
    const errs = r.lines as { what: string; p?: string }[];
    expect(errs.find((l) => l.what === 'sync error' && l.p === '/rump/dev/nope')).toEqual({
      what: 'sync error',
      p: '/rump/dev/nope',
      code: 'ENOENT',
      syscall: 'open',
      path: '/rump/dev/nope',
      errno: -2,
      message: "ENOENT: no such file or directory, open '/rump/dev/nope'",
    });
    expect(errs.find((l) => l.what === 'promise error' && l.p === '/rump')).toMatchObject({
      code: 'ENOENT',
      path: '/rump',
    });
    expect(by['cb error']).toMatchObject({ code: 'ENOENT', instance: true });
  });

  it('createReadStream and createWriteStream on kernel devices, CommonJS require too', async () => {
    const r = await run(
      'streams.cjs',
      `
const fs = require('fs');
const { pipeline } = require('stream/promises');
(async () => {
  let total = 0, nonzero = 0;
  await pipeline(fs.createReadStream('/rump/dev/zero', { end: 199999 }), async function* (src) {
    for await (const c of src) { total += c.length; nonzero += c.filter((b) => b !== 0).length; }
  });
  const ws = fs.createWriteStream('/rump/dev/null');
  for (let i = 0; i < 10; i++) ws.write(Buffer.alloc(1000, i));
  await new Promise((res, rej) => ws.end((e) => (e ? rej(e) : res())));
  let fromNull = 0;
  for await (const c of fs.createReadStream('/rump/dev/null')) fromNull += c.length;
  const fh = await fs.promises.open('/rump/dev/zero');
  let viaHandle = 0;
  for await (const c of fh.createReadStream({ end: 9999 })) viaHandle += c.length;
  console.log(JSON.stringify({ total, nonzero, written: ws.bytesWritten, fromNull, viaHandle, handleFd: fh.fd }));
})();
`,
    ).done;
    expect(r.stderr).toBe('');
    // the FileHandle's stream closed the handle at its end
    expect(r.lines).toEqual([
      { total: 200000, nonzero: 0, written: 10000, fromNull: 0, viaHandle: 10000, handleFd: -1 },
    ]);
  });
});

describe('a pipe in the kernel', () => {
  it('streams like a host pipe: reads wait for the kernel to report data, EOF when the writer closes', async () => {
    const r = await run(
      'pipe.mjs',
      `
import fs from 'node:fs';
import { pipe } from '@rumpflow/rumphijack';
const [rfd, wfd] = await pipe();
const st = fs.fstatSync(rfd);
const chunks = [];
const rs = fs.createReadStream('', { fd: rfd });
rs.on('data', (c) => chunks.push(c.toString()));
const ended = new Promise((res) => rs.on('end', res));
let pwrite;
try { fs.writeSync(wfd, 'x', 5); } catch (e) { pwrite = e.code; }
for (const word of ['one', 'two', 'three']) {
  await new Promise((res) => setTimeout(res, 50));
  fs.writeSync(wfd, word + ' ');
}
fs.closeSync(wfd);
await ended;
console.log(JSON.stringify({ rfd, wfd, fifo: st.isFIFO(), text: chunks.join(''), chunks: chunks.length, pwrite }));
`,
    ).done;
    expect(r.stderr).toBe('');
    // no offsets on a pipe: a positioned write is ESPIPE, as pwrite(2)
    expect(r.lines[0]).toMatchObject({ fifo: true, text: 'one two three ', pwrite: 'ESPIPE' });
    expect((r.lines[0] as { chunks: number }).chunks).toBeGreaterThanOrEqual(2); // read as it came
  });

  it('a sync call goes on the joined connection while an async read blocks on the empty pipe', async () => {
    const r = await run(
      'sync.mjs',
      `
import fs from 'node:fs';
import { pipe } from '@rumpflow/rumphijack';
const [rfd, wfd] = await pipe();
const pending = new Promise((res, rej) => fs.read(rfd, Buffer.alloc(10), 0, 10, null, (e, n, b) => (e ? rej(e) : res(b.subarray(0, n).toString()))));
await new Promise((res) => setTimeout(res, 100)); // the read is out, waiting in the kernel
const z = fs.openSync('/rump/dev/zero', 'r');
const n = fs.readSync(z, Buffer.alloc(100));
fs.writeSync(wfd, 'unblocked');
console.log(JSON.stringify({ n, got: await pending }));
`,
    ).done;
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([{ n: 100, got: 'unblocked' }]);
  });
});

describe('waitAny', () => {
  it('waits on rump fds and host fds together and returns whichever is ready first', async () => {
    const s = run(
      'wait.mjs',
      `
import fs from 'node:fs';
import { pipe, waitAny } from '@rumpflow/rumphijack';
const [rfd, wfd] = await pipe();
const out = (o) => console.log(JSON.stringify(o));
// nothing ready: the timeout
out({ step: 'timeout', ready: await waitAny([0, rfd], { timeoutMs: 100 }) });
// the kernel pipe gets data first
setTimeout(() => fs.write(wfd, Buffer.from('rump!'), () => {}), 100);
const first = await waitAny([0, rfd]);
const b = Buffer.alloc(16);
out({ step: 'rump', ready: first, text: b.subarray(0, fs.readSync(rfd, b)).toString() });
// then the host side: stdin, written by the test
out({ step: 'waiting for host' });
const second = await waitAny([rfd, 0]);
const h = Buffer.alloc(16);
const n = await new Promise((res, rej) => fs.read(0, h, 0, 16, null, (e, n) => (e ? rej(e) : res(n))));
out({ step: 'host', ready: second, text: h.subarray(0, n).toString() });
// a host regular file is always ready, as poll(2) says
const f = fs.openSync(process.argv[1], 'r');
out({ step: 'file', ready: (await waitAny([rfd, f])) === f });
// a closed rump fd is an error
fs.closeSync(wfd); fs.closeSync(rfd);
try { await waitAny([rfd]); } catch (e) { out({ step: 'closed', code: e.code }); }
`,
    );
    await s.waitFor('waiting for host');
    s.child.stdin?.write('host!');
    const r = await s.done;
    expect(r.stderr).toBe('');
    const rfd = 128;
    expect(r.lines).toEqual([
      { step: 'timeout', ready: null },
      { step: 'rump', ready: rfd, text: 'rump!' },
      { step: 'waiting for host' },
      { step: 'host', ready: 0, text: 'host!' },
      { step: 'file', ready: true },
      { step: 'closed', code: 'EBADF' },
    ]);
  });
});

describe('RUMPHIJACK', () => {
  const probe = `
import fs from 'node:fs';
const out = (o) => console.log(JSON.stringify(o));
for (const p of process.argv.slice(2)) {
  try { const fd = fs.openSync(p, 'r'); out({ p, fd, chr: fs.fstatSync(fd).isCharacterDevice() }); }
  catch (e) { out({ p, code: e.code }); }
}
`;
  it('path= and fdoff=: the prefix is stripped, rump fds appear at fd + fdoff, other paths stay on the host', async () => {
    const file = scripts.script('probe.mjs', probe);
    const r = await spawnCli(
      ['node', file, '/kern/dev/zero', '/kern/dev/null', '/rump/dev/zero', '/kern/dev'],
      {
        RUMP_SERVER: server.url,
        RUMPHIJACK: 'path=/kern,fdoff=300',
      },
    ).done;
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([
      { p: '/kern/dev/zero', fd: 300, chr: true },
      { p: '/kern/dev/null', fd: 301, chr: true },
      { p: '/rump/dev/zero', code: 'ENOENT' }, // the host has no /rump
      { p: '/kern/dev', code: 'ENOENT' }, // the kernel's /dev is no file
    ]);
  });

  it('blanket= sends the paths unchanged; a host fd at or above fdoff is ENFILE as in NetBSD', async () => {
    const file = scripts.script('probe2.mjs', probe);
    const r = await spawnCli(['node', file, '/dev/kinfo', '/dev/null', '/rump/dev/zero'], {
      RUMP_SERVER: server.url,
      RUMPHIJACK: 'blanket=/dev/kinfo:/dev/zero',
    }).done;
    expect(r.stderr).toBe('');
    // /dev/kinfo exists only in the kernel; /dev/null is the host's; no path= now
    expect(r.lines).toEqual([
      { p: '/dev/kinfo', fd: 128, chr: true },
      { p: '/dev/null', fd: expect.any(Number), chr: true },
      { p: '/rump/dev/zero', code: 'ENOENT' },
    ]);
    expect((r.lines[1] as { fd: number }).fd).toBeLessThan(128);
    const low = await spawnCli(['node', file, '/dev/null'], {
      RUMP_SERVER: server.url,
      RUMPHIJACK: 'path=/rump,fdoff=3',
    }).done;
    expect(low.lines).toEqual([{ p: '/dev/null', code: 'ENFILE' }]);
  });

  it("NetBSD's other keys are accepted and reported once as not applicable; an unknown key is an error naming it", async () => {
    const file = scripts.script('probe3.mjs', probe);
    const ok = await spawnCli(['node', file, '/rump/dev/zero'], {
      RUMP_SERVER: server.url,
      RUMPHIJACK: 'path=/rump,socket=all:nolocal,vfs=all,sysctl=yes,modctl',
    }).done;
    expect(ok.code).toBe(0);
    expect(ok.lines).toEqual([{ p: '/rump/dev/zero', fd: 128, chr: true }]);
    expect(ok.stderr.match(/not applicable/g)).toHaveLength(1);
    expect(ok.stderr).toContain('socket, vfs, sysctl, modctl');

    const bad = await spawnCli(['node', file], { RUMP_SERVER: server.url, RUMPHIJACK: 'path=/rump,bogus=1' })
      .done;
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown key "bogus"');
    // the loader alone says the same (node --import @rumpflow/rumphijack)
    const direct = await spawnNode(
      ['--conditions=@rumpflow/source', '--import', 'tsx', '--import', '@rumpflow/rumphijack', file],
      { RUMP_SERVER: server.url, RUMPHIJACK: 'fdoff=2' },
    ).done;
    expect(direct.code).toBe(1);
    expect(direct.stderr).toContain('fdoff 2 out of range');
  });

  it('node --import @rumpflow/rumphijack works from the project root; no server is a clear failure', async () => {
    const file = scripts.script('probe4.mjs', probe);
    const r = await spawnNode(
      [
        '--conditions=@rumpflow/source',
        '--import',
        'tsx',
        '--import',
        '@rumpflow/rumphijack',
        file,
        '/rump/dev/null',
      ],
      {
        RUMP_SERVER: server.url,
        RUMPHIJACK: '',
      },
    ).done;
    // an empty RUMPHIJACK hijacks nothing
    expect(r.lines).toEqual([{ p: '/rump/dev/null', code: 'ENOENT' }]);
    const none = await spawnCli(['node', file], { RUMP_SERVER: `unix://${sockDir}/nothing.sock` }).done;
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^rumphijack: rumpclient init: .*ENOENT/);
  });
});

describe('RUMPHIJACK_RETRYCONNECT', () => {
  const loop = `
import fs from 'node:fs';
const out = (o) => console.log(JSON.stringify(o));
const fd = fs.openSync('/rump/dev/zero', 'r');
out({ step: 'ready', n: fs.readSync(fd, Buffer.alloc(8)) });
for (;;) {
  await new Promise((res) => setTimeout(res, 100));
  try {
    const z = await fs.promises.open('/rump/dev/zero');
    const { bytesRead } = await z.read(Buffer.alloc(4));
    await z.close();
    let old;
    try { fs.readSync(fd, Buffer.alloc(1)); } catch (e) { old = e.code; }
    out({ step: 'regained', bytesRead, old });
    break;
  } catch (e) { out({ step: 'lost', code: e.code }); }
}
`;
  it('inftime: the connection is lost and regained when the server comes back', async () => {
    const sock = path.join(sockDir, 'restart.sock');
    let s = await KernelServer.start(sock);
    const p = spawnCli(['node', scripts.script('retry.mjs', loop)], {
      RUMP_SERVER: s.url,
      RUMPHIJACK_RETRYCONNECT: 'inftime',
    });
    await p.waitFor('"ready"');
    await s.stop();
    await new Promise((res) => setTimeout(res, 300));
    s = await KernelServer.start(sock);
    const r = await p.done;
    await s.stop();
    expect(r.code).toBe(0);
    const last = r.lines.at(-1);
    // the new process has the new fds; the old fd is gone with the old process
    expect(last).toEqual({ step: 'regained', bytesRead: 4, old: 'EBADF' });
  });

  it('die: the program exits when the server goes away; unset: calls fail with ENOTCONN', async () => {
    const sock = path.join(sockDir, 'die.sock');
    let s = await KernelServer.start(sock);
    const p = spawnCli(['node', scripts.script('die.mjs', loop)], {
      RUMP_SERVER: s.url,
      RUMPHIJACK_RETRYCONNECT: 'die',
    });
    await p.waitFor('"ready"');
    await s.stop();
    const r = await p.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rumphijack: lost connection to the rump kernel');

    s = await KernelServer.start(sock);
    const q = spawnCli(['node', scripts.script('never.mjs', loop)], { RUMP_SERVER: s.url });
    await q.waitFor('"ready"');
    await s.stop();
    await q.waitFor('"lost"');
    q.child.kill('SIGTERM');
    const rq = await q.done;
    expect(rq.lines[1]).toEqual({ step: 'lost', code: 'ENOTCONN' });

    const bad = await spawnCli(['node', scripts.script('x.mjs', '')], {
      RUMP_SERVER: server.url,
      RUMPHIJACK_RETRYCONNECT: 'soon',
    }).done;
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('RUMPHIJACK_RETRYCONNECT must be keyword or integer, got: soon');
  });
});
