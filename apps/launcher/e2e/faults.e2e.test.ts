// The cross-service suite, part 2: faults, judged by packets delivered and lost (ping replies
// between the namespace hosts, the hostsims' answered pings), never by log lines. One unix-
// backend topology (rump-kernel-server, ofc, swioproxyd, switchd, two hostsims, two namespace
// hosts) takes the faults one after another; a second one runs switch0 in fail-mode standalone;
// the rump and hijack backends take the controller and kernel restarts too.
import { type Socket, createServer } from 'node:net';
import { requireNetns } from '@rumpflow/test-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topo, type TopoOptions, learnedFlows, until } from './harness.js';

const why = await requireNetns('launcher e2e (faults)', [
  'controller, swioproxyd and rump kernel restarts, a garbage-sending controller and the',
  'standalone fail mode are NOT checked.',
]);

/** Pings until `n` of `count` come back (the path is up again). */
const answered = (t: Topo, n = 4, count = 5) =>
  until('pings answered', async () => (await t.pingReplies(count)) >= n, 45_000);

/** ofc killed: learned flows keep forwarding, an empty table drops, learning resumes on restart. */
async function ofcRestart(topo: Topo): Promise<void> {
  expect(learnedFlows(await topo.dumpFlows()).length).toBeGreaterThanOrEqual(2);
  await topo.kill('ofc');
  // secure: the kernel's flows still forward without a controller
  expect(await topo.pingReplies(10, 0.1)).toBe(10);
  // with the flows gone and no controller, nothing is learned: every ping is lost
  await topo.ofctl(['del-flows']);
  expect(await topo.pingReplies(5)).toBe(0);
  await topo.restart('ofc');
  await answered(topo);
  expect(await topo.pingReplies(10, 0.1)).toBe(10);
  expect(learnedFlows(await topo.dumpFlows()).length).toBeGreaterThanOrEqual(2);
  expect(topo.unexpectedExits()).toEqual([]);
}

/** rump-kernel-server killed: pings are lost, then everything reconnects to a fresh switch0. */
async function kernelRestart(topo: Topo): Promise<void> {
  await topo.kill('rump-kernel-server');
  expect(await topo.pingReplies(3)).toBe(0);
  const t0 = Date.now();
  await topo.restart('rump-kernel-server');
  await until(
    'pings answered after the kernel restart',
    async () => (await topo.pingReplies(1, 0.2)) === 1,
    60_000,
    0,
  );
  const recoveryMs = Date.now() - t0;
  console.log(
    `${topo.options.backend} backend, rump-kernel-server restart: pings answered again ${recoveryMs} ms after the restart began`,
  );
  expect(await topo.pingReplies(10, 0.1)).toBe(10);
  // the flows on the fresh switch were installed after the restart (learned again)
  expect(learnedFlows(await topo.dumpFlows()).length).toBeGreaterThanOrEqual(2);
  const before = await topo.hostsim();
  const after = await until('hostsims answered again', async () => {
    const t = await topo.hostsim();
    return t.replies > before.replies + 5 ? t : undefined;
  });
  expect(after.replies).toBeGreaterThan(before.replies);
  expect(topo.unexpectedExits()).toEqual([]);
}

/** One topology for a describe block's tests: started (pings answered) before them, stopped after. */
function sharedTopo(o: TopoOptions): { readonly topo: Topo } {
  let topo: Topo | undefined;
  beforeAll(async () => {
    topo = await Topo.start(o);
    await answered(topo);
  }, 120_000);
  afterAll(async () => {
    await topo?.stop();
  });
  return {
    get topo(): Topo {
      if (!topo) throw new Error('the topology did not start');
      return topo;
    },
  };
}

/** The faults every backend must ride out: the controller's restart and the kernel's. */
function restartTests(s: { readonly topo: Topo }): void {
  it(
    'ofc killed: learned flows keep forwarding, an empty table drops, learning resumes on restart',
    () => ofcRestart(s.topo),
    120_000,
  );
  it(
    'rump-kernel-server killed: pings are lost, then everything reconnects to a fresh switch0',
    () => kernelRestart(s.topo),
    150_000,
  );
}

describe.skipIf(why !== undefined)('faults (unix backend, ofc, fail-mode secure)', () => {
  const s = sharedTopo({ backend: 'unix', controller: 'ofc', tag: 'flt' });
  restartTests(s);

  it('swioproxyd killed: the kernel keeps forwarding, switchd reconnects and learning works again', async () => {
    await s.topo.kill('swioproxyd');
    // the data plane is switch0 in the kernel: established flows carry on
    expect(await s.topo.pingReplies(10, 0.1)).toBe(10);
    await s.topo.restart('swioproxyd');
    // switchd is back on the device when tools can read flows through it
    await until(
      'dump-flows through switchd',
      async () => learnedFlows(await s.topo.dumpFlows()).length >= 2,
      45_000,
    );
    // and the controller learns again: the learned flows deleted, pings come back through PACKET_INs
    await s.topo.forgetLearned();
    await answered(s.topo);
    expect(await s.topo.pingReplies(10, 0.1)).toBe(10);
    expect(learnedFlows(await s.topo.dumpFlows()).length).toBeGreaterThanOrEqual(2);
    expect(s.topo.unexpectedExits()).toEqual([]);
  }, 120_000);

  it('a controller sending garbage gets ERRORs and nothing crashes', async () => {
    await s.topo.kill('ofc');
    const replies: Buffer[] = [];
    const conns: Socket[] = [];
    const server = createServer((c) => {
      conns.push(c);
      c.on('data', (d) => replies.push(d));
      c.on('error', () => undefined);
      // a HELLO, then a message of an unknown type, then a FLOW_MOD too short for its kind
      c.write(Buffer.from([0x04, 0x00, 0x00, 0x08, 0, 0, 0, 1]));
      c.write(Buffer.from([0x04, 0xfe, 0x00, 0x08, 0, 0, 0, 2]));
      c.write(Buffer.from([0x04, 0x0e, 0x00, 0x0c, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef]));
    });
    await new Promise<void>((r) => server.listen(s.topo.plan.ports.openflow, '127.0.0.1', r));
    try {
      // an ERROR (type 1) for xid 2 or 3 among what switchd sent back
      await until(
        'ERROR replies to garbage',
        async () => {
          const all = Buffer.concat(replies);
          const errs: number[] = [];
          for (let off = 0; off + 8 <= all.length;) {
            const len = all.readUInt16BE(off + 2);
            if (len < 8) break;
            if (all[off + 1] === 1) errs.push(all.readUInt32BE(off + 4));
            off += len;
          }
          return errs.includes(2) && errs.includes(3);
        },
        45_000,
      );
      // and then plain junk bytes
      for (const c of conns) c.write(Buffer.from('this is not OpenFlow at all, not even close\n'.repeat(20)));
      await new Promise((r) => setTimeout(r, 1000));
      // switchd and the data plane are fine
      expect(s.topo.unexpectedExits()).toEqual([]);
      expect(await s.topo.pingReplies(5)).toBe(5);
    } finally {
      for (const c of conns) c.destroy();
      await new Promise((r) => server.close(r));
    }
    await s.topo.restart('ofc');
    await s.topo.forgetLearned();
    await answered(s.topo);
    expect(learnedFlows(await s.topo.dumpFlows()).length).toBeGreaterThanOrEqual(2);
    expect(s.topo.unexpectedExits()).toEqual([]);
  }, 120_000);
});

describe.skipIf(why !== undefined)('fail-mode standalone (unix backend, ofc)', () => {
  const s = sharedTopo({ backend: 'unix', controller: 'ofc', tag: 'sta', failMode: 'standalone' });

  it('switchd learns while ofc is away and hands the switch back when it returns', async () => {
    // an empty table, then no controller: in standalone mode switchd's own learning (which
    // installs its table-miss flow when it takes over) fills it
    await s.topo.ofctl(['del-flows']);
    await s.topo.kill('ofc');
    await answered(s.topo);
    expect(await s.topo.pingReplies(10, 0.1)).toBe(10);
    expect(learnedFlows(await s.topo.dumpFlows()).length).toBeGreaterThanOrEqual(2);
    await s.topo.restart('ofc');
    // ofc has the switch again (its REST API lists datapath 1), and its learning works
    await until('ofc sees the switch', async () => {
      const res = await fetch(`${s.topo.plan.ofcApi}/stats/switches`);
      return ((await res.json()) as number[]).includes(1);
    });
    // the learned flows forgotten (table-miss kept): ofc learns them again
    await s.topo.forgetLearned();
    await answered(s.topo);
    expect(await s.topo.pingReplies(10, 0.1)).toBe(10);
    expect(learnedFlows(await s.topo.dumpFlows()).length).toBeGreaterThanOrEqual(2);
    expect(s.topo.unexpectedExits()).toEqual([]);
  }, 150_000);

  it('stopping leaves no processes, namespaces, sockets or files behind', async () => {
    await s.topo.stop();
    expect(await s.topo.leftovers()).toEqual([]);
  });
});

// The faults that reach every backend again with the other two: switchd's own rumpclient
// (rump) and switchd under rumphijack (hijack) must ride out a controller restart and a kernel
// restart just as the swioproxyd path does.
describe.skipIf(why !== undefined).each(['rump', 'hijack'] as const)(
  'faults (%s backend, ofc, fail-mode secure)',
  (backend) => {
    restartTests(sharedTopo({ backend, controller: 'ofc', tag: `f${backend.slice(0, 2)}` }));
  },
);
