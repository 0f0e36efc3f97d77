// What the hijack costs: a program under rumphijack reading 4 KiB from /rump/dev/zero with
// plain fs calls — fs.read and fs.promises FileHandle.read (a kevent round trip when the
// kernel has reported no unread data, then the read: /dev/zero reports plenty, so mostly the
// read alone) and fs.readSync (through the joined worker and Atomics) — against the baseline,
// measured in the same program the same way: the same read with @rumpflow/rumpclient
// directly on a connection of its own (one round trip). All against the real
// rump-kernel-server over a Unix socket, one call at a time, batches of the cases in turn.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchResult, formatReport } from '@rumpflow/bench';
import { KernelServer, ScriptDir, spawnCli } from '../test/helpers.js';

const SCRIPT = `
import fs from 'node:fs';
import { RumpClient, O } from '@rumpflow/rumpclient';
const SIZE = 4096, BATCH_MS = 250, BATCHES = 7, WARMUP_MS = 3000;
const buf = Buffer.alloc(SIZE);
const client = await RumpClient.connect(undefined, { program: 'bench-baseline' });
const cfd = await client.open('/dev/zero', O.RDONLY);
const fd = fs.openSync('/rump/dev/zero', 'r');
const fh = await fs.promises.open('/rump/dev/zero');
const cases = [
  ['baseline: rumpclient read 4 KiB', () => client.read(cfd, SIZE)],
  ['fs.read 4 KiB', () => new Promise((res, rej) => fs.read(fd, buf, 0, SIZE, null, (e, n) => (e ? rej(e) : res(n))))],
  ['FileHandle.read 4 KiB', () => fh.read(buf, 0, SIZE, null)],
  ['fs.readSync 4 KiB (worker)', async () => fs.readSync(fd, buf, 0, SIZE, null)],
];
// warm everything up (JIT here and in the server), then batches of the cases in turn, so a
// machine whose load changes affects them all alike
for (const end = Date.now() + WARMUP_MS; Date.now() < end; ) for (const [, op] of cases) await op();
const rates = cases.map(() => []);
for (let b = 0; b < BATCHES; b++) {
  for (const [i, [, op]] of cases.entries()) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    while (Number(process.hrtime.bigint() - t0) < BATCH_MS * 1e6) { await op(); n++; }
    rates[i].push((n * 1e9) / Number(process.hrtime.bigint() - t0));
  }
}
for (const [i, [name]] of cases.entries()) {
  const r = rates[i].sort((a, b) => a - b);
  const opsPerSec = r[Math.floor(BATCHES / 2)];
  console.log(JSON.stringify({ name, opsPerSec, nsPerOp: 1e9 / opsPerSec, batches: BATCHES }));
}
await client.close();
`;

const sockDir = mkdtempSync(path.join(tmpdir(), 'rumphijack-bench-'));
const scripts = new ScriptDir();
const server = await KernelServer.start(path.join(sockDir, 'rump.sock'));
try {
  const run = await spawnCli(['node', scripts.script('bench.mjs', SCRIPT)], { RUMP_SERVER: server.url }).done;
  if (run.code !== 0) throw new Error(`the bench script failed (${run.code}):\n${run.stderr}`);
  const [baseline, ...results] = run.lines as BenchResult[];
  if (!baseline) throw new Error('no results');
  console.log(
    formatReport('rumphijack: 4 KiB reads of /rump/dev/zero, one at a time (reads/s)', results, baseline),
  );
} finally {
  await server.stop();
  scripts.remove();
  rmSync(sockDir, { recursive: true, force: true });
}
