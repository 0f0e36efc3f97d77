// The cross-service suite, part 1: for each device backend (unix through swioproxyd, rump:
// switchd's own rumpclient, hijack: switchd under rumphijack) the real processes — rump-kernel-
// server, swioproxyd, switchd, ofc (learning) and two hostsims — and two Linux namespace hosts
// on switch0. The hosts ping each other; ofc's learned flows (dl_dst matches with packets
// counted) are read with ovs-ofctl on switchd's ptcp listener; the hostsims' pings are
// answered. Then each backend once more with ovs-testcontroller as the controller.
import { requireNetns } from '@rumpflow/test-tools';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/topology.js';
import { Topo, learnedFlows, until } from './harness.js';

const why = await requireNetns('launcher e2e (backends)', [
  'the three device backends carrying real pings between namespace hosts under ofc and',
  'ovs-testcontroller are NOT checked.',
]);

describe.skipIf(why !== undefined).each(BACKENDS)('device backend %s with ofc', (backend) => {
  let topo: Topo | undefined;
  afterAll(async () => {
    await topo?.stop();
  });

  it('namespace hosts ping through switch0, ofc learns dl_dst flows, hostsims are answered', async () => {
    topo = await Topo.start({ backend, controller: 'ofc', tag: backend.slice(0, 4) });
    const [a, b] = topo.hosts;
    // the first packets go to ofc as PACKET_IN: allow a lost first reply
    const replies = await until('pings answered', async () => ((await topo!.pingReplies(5)) >= 4 ? 1 : 0));
    expect(replies).toBe(1);
    expect(await topo.pingReplies(10, 0.1)).toBe(10);

    const flows = learnedFlows(await topo.dumpFlows());
    const dsts = flows.map((f) => f.dst);
    expect(dsts, JSON.stringify(flows)).toContain(a!.mac);
    expect(dsts, JSON.stringify(flows)).toContain(b!.mac);

    const hs = await until('hostsim replies', async () => {
      const t = await topo!.hostsim();
      return t.replies > 5 ? t : undefined;
    });
    expect(hs.replies).toBeGreaterThan(5);
    expect(topo.unexpectedExits()).toEqual([]);
    await topo.stop();
    expect(await topo.leftovers()).toEqual([]);
  }, 180_000);
});

describe.skipIf(why !== undefined).each(BACKENDS)('device backend %s with ovs-testcontroller', (backend) => {
  let topo: Topo | undefined;
  afterAll(async () => {
    await topo?.stop();
  });

  it('namespace hosts ping through switch0 under ovs-testcontroller -O OpenFlow13', async () => {
    topo = await Topo.start({
      backend,
      controller: 'ovs-testcontroller',
      tag: `o${backend.slice(0, 4)}`,
      controllerArgs: ['-O', 'OpenFlow13'],
    });
    await until('pings answered', async () => ((await topo!.pingReplies(5)) >= 4 ? 1 : 0));
    expect(await topo.pingReplies(10, 0.1)).toBe(10);
    // its learning switch installs flows that carry the pings
    expect(await topo.dumpFlows()).toMatch(/n_packets=[1-9]/);
    const hs = await until('hostsim replies', async () => {
      const t = await topo!.hostsim();
      return t.replies > 5 ? t : undefined;
    });
    expect(hs.replies).toBeGreaterThan(5);
    expect(topo.unexpectedExits()).toEqual([]);
  }, 180_000);
});
