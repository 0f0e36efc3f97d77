// A real peer: Open vSwitch's ovs-ofctl, talking OpenFlow 1.3 over TCP to a Datapath channel
// hosted by a tiny listener in this test. It must accept our FEATURES, PORT_DESC and
// TABLE_FEATURES (it reads them to resolve port and table names), install and list flows,
// read every statistic, and decode our errors.
//
// Requires ovs-ofctl (`apt-get install -y openvswitch-switch`); without it the suite is
// skipped, loudly.

import { execFile } from 'node:child_process';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath } from '../src/index.js';
import { mac, udp } from './harness.js';
import { buildUdp } from '@rumpflow/packet';
import { requireOvsOfctl } from '@rumpflow/test-tools';

/** A UDP frame from port 1's host to `dstPort`, flow `i`. */
const udpTo = (dstPort: number, i: number, len = 0) =>
  buildUdp({
    srcMac: mac(1),
    dstMac: mac(2),
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 1000 + i,
    dstPort,
    payload: new Uint8Array(len),
  });

const run = promisify(execFile);

const OFCTL = requireOvsOfctl('openflow-switch/test/ovs-ofctl.test.ts', [
  "the switch's FEATURES, PORT_DESC, TABLE_FEATURES and flow handling are NOT being checked",
  'against a real OpenFlow peer.',
]);

describe.skipIf(OFCTL === undefined)(`ovs-ofctl (${OFCTL ?? 'absent'}) against the switch`, () => {
  let server: Server;
  let target: string;
  let dp: Datapath;
  const sent = new Map<number, Uint8Array[]>();
  const sockets = new Set<Socket>();
  const t0 = performance.now();

  beforeAll(async () => {
    dp = new Datapath({
      datapathId: 0x42n,
      nTables: 255,
      now: () => performance.now() - t0,
      description: { dpDesc: 'rumpflow test switch' },
    });
    for (const n of [1, 2, 3]) {
      sent.set(n, []);
      dp.addPort({
        portNo: n,
        name: `eth${n}`,
        hwAddr: `02:00:00:00:00:0${n}`,
        curr: 0x820, // 1GB_FD, COPPER
        supported: 0x2820,
        currSpeed: 1_000_000,
        maxSpeed: 1_000_000,
        send: (f) => sent.get(n)?.push(Uint8Array.from(f)),
      });
    }
    server = createServer((sock) => {
      sockets.add(sock);
      const ch = dp.openChannel((b) => sock.write(b), { onClose: () => sock.end() });
      sock.on('data', (b) => ch.receive(b));
      sock.on('close', () => {
        ch.close();
        sockets.delete(sock);
      });
      sock.on('error', () => ch.close());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = `tcp:127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const ofctl = async (cmd: string, ...args: string[]): Promise<string> => {
    const r = await run('ovs-ofctl', ['-O', 'OpenFlow13', '--timeout=10', cmd, target, ...args], {
      timeout: 20_000,
    });
    return r.stdout;
  };
  const ofctlFails = async (cmd: string, ...args: string[]): Promise<string> => {
    try {
      await ofctl(cmd, ...args);
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error(`ovs-ofctl ${cmd} ${args.join(' ')} succeeded`);
  };

  it('show: features and port descriptions', async () => {
    const out = await ofctl('show');
    expect(out).toMatch(/OFPT_FEATURES_REPLY \(OF1\.3\).*dpid:0000000000000042/);
    expect(out).toMatch(/n_tables:255, n_buffers:256/);
    expect(out).toMatch(/capabilities: FLOW_STATS TABLE_STATS PORT_STATS\b/);
    for (const n of [1, 2, 3]) expect(out).toContain(`${n}(eth${n}): addr:02:00:00:00:00:0${n}`);
    expect(out).toMatch(/speed: 1000 Mbps now, 1000 Mbps max/);
  });

  it('dump-desc', async () => {
    const out = await ofctl('dump-desc');
    expect(out).toMatch(/Manufacturer: rumpflow/);
    expect(out).toMatch(/DP Description: rumpflow test switch/);
  });

  it('dump-table-features: every table parsed', async () => {
    const out = await ofctl('dump-table-features');
    expect(out).toMatch(
      /table 0 \("table0"\):\n\s+metadata: match=0xffffffffffffffff write=0xffffffffffffffff\n\s+max_entries=65536/,
    );
    expect(out).toMatch(/next tables: 1-254/);
    expect(out).toMatch(
      /instructions: (meter )?apply_actions clear_actions write_actions write_metadata goto_table/,
    );
    // every action ovs-ofctl has a name for (it has none for copy_ttl_* and the PBB ones)
    expect(out).toMatch(
      /actions: output group set_field strip_vlan push_vlan mod_nw_ttl dec_ttl set_mpls_ttl dec_mpls_ttl push_mpls pop_mpls set_queue\n/,
    );
    expect(out).toMatch(
      /supported on Set-Field: tun_id eth_\{src,dst,type\} vlan_\{vid,pcp\}.* nd_\{target,sll,tll\}\n/,
    );
    expect(out).toMatch(/arbitrary mask: tun_id metadata eth_\{src,dst\} vlan_vid ip_\{src,dst\}/);
    expect(out).toMatch(/exact match or wildcard: in_port_oxm eth_type/);
    expect(out).toMatch(/table 254 \("table254"\):/);
    expect(out).not.toMatch(/error|OFPTFFC/i);
  });

  it('add-flow is accepted, dump-flows shows it with real counters, and frames follow it', async () => {
    await ofctl('add-flow', 'priority=10,in_port=1,actions=output:2');
    await ofctl('add-flow', 'table=1,cookie=0x5,priority=7,udp,tp_dst=2000,idle_timeout=60,actions=output:1');
    await ofctl('add-flow', 'priority=9,in_port=3,actions=write_metadata:0x5/0xff,goto_table:1');
    dp.receiveFrame(1, udp(1, 2));
    dp.receiveFrame(3, udp(3, 1));
    expect(sent.get(2)).toHaveLength(1);
    expect(sent.get(1)).toHaveLength(1);
    const flows = await ofctl('dump-flows');
    expect(flows).toMatch(
      /table=0, n_packets=1, n_bytes=\d+, priority=10,in_port=(1|"?eth1"?) actions=output:(2|"?eth2"?)/,
    );
    expect(flows).toMatch(
      /cookie=0x5, duration=[\d.]+s, table=1, n_packets=1, n_bytes=\d+, idle_timeout=60, priority=7,udp,tp_dst=2000 actions=output:(1|"?eth1"?)/,
    );
    expect(flows).toMatch(/priority=9,in_port=(3|"?eth3"?) actions=write_metadata:0x5\/0xff,goto_table:1/);
    const agg = await ofctl('dump-aggregate');
    expect(agg).toMatch(/packet_count=3 byte_count=\d+ flow_count=3/);
  });

  it('dump-tables: active, lookup and matched counts', async () => {
    const out = await ofctl('dump-tables');
    expect(out).toMatch(/OFPST_TABLE reply \(OF1\.3\)/);
    expect(out).toMatch(/table 0:\s+active=2, lookup=2, matched=2/);
    expect(out).toMatch(/table 1:\s+active=1, lookup=1, matched=1/);
  });

  it('dump-ports and dump-ports-desc', async () => {
    const ports = await ofctl('dump-ports');
    expect(ports).toMatch(/port\s+"?(1|eth1)"?: rx pkts=1, bytes=\d+, drop=0, errs=0/);
    expect(ports).toMatch(
      /port\s+"?(2|eth2)"?: rx pkts=0, bytes=0, drop=0, errs=0, frame=0, over=0, crc=0\s+tx pkts=1/,
    );
    const desc = await ofctl('dump-ports-desc');
    expect(desc).toMatch(/OFPST_PORT_DESC reply \(OF1\.3\)/);
    expect(desc).toContain('2(eth2): addr:02:00:00:00:00:02');
  });

  it('mod-port and get/set-frags', async () => {
    await ofctl('mod-port', 'eth2', 'no-forward');
    expect(dp.port(2)?.config).toBe(0x20);
    expect(await ofctl('show')).toMatch(/2\(eth2\): addr:02:00:00:00:00:02\s+config:\s+NO_FWD/);
    await ofctl('mod-port', 'eth2', 'forward');
    expect(dp.port(2)?.config).toBe(0);
    expect((await ofctl('get-frags')).trim()).toBe('normal');
    await ofctl('set-frags', 'drop');
    expect((await ofctl('get-frags')).trim()).toBe('drop');
    await ofctl('set-frags', 'normal');
  });

  it('packet-out', async () => {
    const before = sent.get(1)?.length ?? 0;
    const hex = Buffer.from(udp(9, 1)).toString('hex');
    await ofctl('packet-out', `in_port=controller,packet=${hex},actions=output:1`);
    expect(sent.get(1)?.length).toBe(before + 1);
    expect(Buffer.from(sent.get(1)?.at(-1) ?? []).toString('hex')).toBe(hex);
  });

  it('group and meter features, no groups yet, queues', async () => {
    expect(await ofctl('dump-group-features')).toMatch(/OFPST_GROUP_FEATURES reply/);
    expect(await ofctl('dump-groups')).toMatch(/OFPST_GROUP_DESC reply/);
    expect(await ofctl('meter-features')).toMatch(/max_meter:4096/);
    expect(await ofctl('queue-get-config', '1')).toMatch(/OFPT_QUEUE_GET_CONFIG_REPLY/);
  });

  it('our errors decode in ovs-ofctl', async () => {
    expect(await ofctlFails('add-flow', 'actions=set_queue:5,output:1')).toMatch(/OFPBAC_BAD_QUEUE/);
    expect(await ofctlFails('mod-group', 'group_id=77,type=all,bucket=output:1')).toMatch(
      /OFPGMFC_UNKNOWN_GROUP/,
    );
    expect(await ofctlFails('add-flow', 'check_overlap,priority=10,in_port=1,actions=drop')).toMatch(
      /OFPFMFC_OVERLAP/,
    );
  });

  it('groups: add-group, dump-groups, dump-group-stats, frames through SELECT, del-groups', async () => {
    await ofctl('add-group', 'group_id=1,type=select,bucket=weight:1,output:2,bucket=weight:3,output:3');
    await ofctl('add-group', 'group_id=2,type=ff,bucket=watch_port:2,output:2,bucket=watch_port:3,output:3');
    await ofctl('add-group', 'group_id=3,type=all,bucket=output:1,bucket=group:2');
    await ofctl('add-flow', 'priority=50,udp,tp_dst=3000,actions=group:1');
    await ofctl('add-flow', 'priority=50,udp,tp_dst=3001,actions=group:3');
    const [b2, b3] = [sent.get(2)?.length ?? 0, sent.get(3)?.length ?? 0];
    for (let i = 0; i < 400; i++) dp.receiveFrame(1, udpTo(3000, i));
    const [n2, n3] = [(sent.get(2)?.length ?? 0) - b2, (sent.get(3)?.length ?? 0) - b3];
    expect(n2 + n3).toBe(400);
    expect(Math.abs(n2 / 400 - 0.25)).toBeLessThan(0.06);
    dp.receiveFrame(1, udpTo(3001, 0));
    expect(sent.get(2)?.length).toBe(b2 + n2 + 1); // group 3 -> group 2 -> port 2
    const groups = await ofctl('dump-groups');
    expect(groups).toMatch(
      /group_id=1,type=select,bucket=(bucket_id:\d+,)?(weight:1,)?actions=output:"?(2|eth2)"?,bucket=(bucket_id:\d+,)?weight:3,actions=output:"?(3|eth3)"?/,
    );
    expect(groups).toMatch(
      /group_id=2,type=ff,bucket=(bucket_id:\d+,)?watch_port:"?(2|eth2)"?,actions=output:"?(2|eth2)"?/,
    );
    expect(groups).toMatch(
      /group_id=3,type=all,bucket=(bucket_id:\d+,)?actions=output:"?(1|eth1)"?,bucket=(bucket_id:\d+,)?actions=group:2/,
    );
    const stats = await ofctl('dump-group-stats');
    expect(stats).toMatch(
      new RegExp(
        `group_id=1,duration=[\\d.]+s,ref_count=1,packet_count=400,byte_count=\\d+,bucket0:packet_count=${n2},byte_count=\\d+,bucket1:packet_count=${n3},byte_count=\\d+`,
      ),
    );
    expect(stats).toMatch(
      /group_id=2,duration=[\d.]+s,ref_count=1,packet_count=1,byte_count=\d+,bucket0:packet_count=1/,
    );
    expect(await ofctlFails('add-group', 'group_id=1,type=all,bucket=output:1')).toMatch(
      /OFPGMFC_GROUP_EXISTS/,
    );
    expect(await ofctlFails('del-groups', 'group_id=2')).toMatch(/OFPGMFC_CHAINED_GROUP/);
    await ofctl('del-groups');
    expect(await ofctl('dump-groups')).not.toMatch(/group_id/);
    expect(await ofctl('dump-flows')).not.toMatch(/group:/);
  });

  it('meters: add-meter, dump-meters, meter-stats, a meter under a burst, del-meters', async () => {
    await ofctl('add-meter', 'meter=1,kbps,burst,stats,band=type=drop,rate=1000,burst_size=100');
    await ofctl('add-meter', 'meter=2,pktps,stats,band=type=dscp_remark,rate=10,prec_level=1');
    expect(await ofctl('dump-meters')).toMatch(
      /meter=1 kbps burst stats bands=\s*type=drop rate=1000 burst_size=100[\s\S]*meter=2 pktps stats bands=\s*type=dscp_remark rate=10 prec_level=1/,
    );
    await ofctl('add-flow', 'priority=50,udp,tp_dst=3002,actions=meter:1,output:2');
    const before = sent.get(2)?.length ?? 0;
    const frame = udpTo(3002, 0, 1000 - 42); // 8000 bits: 100 kbit of burst is 12 frames
    for (let i = 0; i < 500; i++) dp.receiveFrame(1, frame);
    const passed = (sent.get(2)?.length ?? 0) - before;
    expect(passed).toBeGreaterThanOrEqual(12);
    expect(passed).toBeLessThan(100); // the wall clock refills 1 kbit per ms
    const stats = await ofctl('meter-stats');
    expect(stats).toMatch(
      new RegExp(
        `meter:1 flow_count:1 packet_in_count:500 byte_in_count:500000 duration:[\\d.]+s bands:\\s*0: packet_count:${500 - passed} byte_count:${(500 - passed) * 1000}`,
      ),
    );
    expect(stats).toMatch(/meter:2 flow_count:0 packet_in_count:0 byte_in_count:0/);
    expect(await ofctl('meter-features')).toMatch(/band_types: drop dscp_remark/);
    expect(await ofctlFails('add-meter', 'meter=1,kbps,band=type=drop,rate=5')).toMatch(
      /OFPMMFC_METER_EXISTS/,
    );
    await ofctl('del-meters');
    expect(await ofctl('dump-meters')).not.toMatch(/meter=/);
    expect(await ofctl('dump-flows')).not.toMatch(/meter:/);
  });

  it('add-flow with rewrite actions: frames leave rewritten, every checksum right', async () => {
    await ofctl(
      'add-flow',
      'priority=20,in_port=2,udp,actions=mod_dl_dst:02:00:00:00:00:77,mod_nw_dst:10.9.9.9,mod_tp_dst:5000,dec_ttl,push_vlan:0x8100,set_field:4100->vlan_vid,output:3',
    );
    await ofctl(
      'add-flow',
      'priority=20,in_port=3,ip,actions=push_mpls:0x8847,set_field:99->mpls_label,dec_mpls_ttl,output:1',
    );
    const before3 = sent.get(3)?.length ?? 0;
    const before1 = sent.get(1)?.length ?? 0;
    dp.receiveFrame(2, udp(2, 1));
    dp.receiveFrame(3, udp(3, 1));
    const want3 = buildUdp({
      srcMac: mac(2),
      dstMac: '02:00:00:00:00:77',
      src: '10.0.0.2',
      dst: '10.9.9.9',
      ttl: 63,
      vlan: 4,
      srcPort: 1000,
      dstPort: 5000,
      payload: new Uint8Array(0),
    });
    expect(Buffer.from(sent.get(3)?.[before3] ?? []).toString('hex')).toBe(want3.toString('hex'));
    const want1 = buildUdp({
      srcMac: mac(3),
      dstMac: mac(1),
      src: '10.0.0.3',
      dst: '10.0.0.1',
      mpls: [{ label: 99, ttl: 63 }],
      srcPort: 1000,
      dstPort: 2000,
      payload: new Uint8Array(0),
    });
    expect(Buffer.from(sent.get(1)?.[before1] ?? []).toString('hex')).toBe(want1.toString('hex'));
    const flows = await ofctl('dump-flows');
    expect(flows).toMatch(
      /n_packets=1, .*priority=20,udp,in_port=(2|"?eth2"?) actions=set_field:02:00:00:00:00:77->eth_dst,set_field:10\.9\.9\.9->ip_dst,set_field:5000->udp_dst,dec_ttl,push_vlan:0x8100,set_field:4100->vlan_vid,output:(3|"?eth3"?)/,
    );
    expect(flows).toMatch(
      /n_packets=1, .*actions=push_mpls:0x8847,set_field:99->mpls_label,dec_mpls_ttl,output:/,
    );
    // and what the switch refuses, ovs-ofctl reports: a queue the ports do not have
    expect(await ofctlFails('add-flow', 'in_port=2,actions=set_queue:3,output:1')).toMatch(
      /OFPBAC_BAD_QUEUE/,
    );
  });

  it('mod-port down, no-packet-in and up: honoured and shown', async () => {
    await ofctl('mod-port', 'eth3', 'down');
    expect(dp.port(3)?.config).toBe(0x1);
    const show = await ofctl('show');
    expect(show).toMatch(/3\(eth3\): addr:02:00:00:00:00:03\s+config:\s+PORT_DOWN\n\s+state:\s+0?\n/);
    const before = sent.get(3)?.length ?? 0;
    dp.receiveFrame(2, udp(2, 1)); // the rewrite flow outputs to port 3, which is down
    expect(sent.get(3)?.length).toBe(before);
    expect(await ofctl('dump-ports', 'eth3')).toMatch(/tx pkts=\d+, bytes=\d+, drop=1,/);
    await ofctl('mod-port', 'eth3', 'up');
    await ofctl('mod-port', 'eth3', 'no-packet-in');
    expect(dp.port(3)?.config).toBe(0x40);
    expect(await ofctl('show')).toMatch(
      /3\(eth3\): addr:02:00:00:00:00:03\s+config:\s+NO_PACKET_IN\n\s+state:\s+LIVE/,
    );
    await ofctl('mod-port', 'eth3', 'packet-in');
    expect(dp.port(3)?.config).toBe(0);
  });

  it('del-flows empties the tables', async () => {
    await ofctl('del-flows');
    expect(await ofctl('dump-flows')).not.toMatch(/priority/);
    expect(dp.flows.tables.every((t) => t.activeCount === 0)).toBe(true);
  });
});
