// A real peer: Open vSwitch's ovs-ofctl, talking OpenFlow 1.3 over TCP to a Datapath channel
// hosted by a tiny listener in this test. It must accept our FEATURES, PORT_DESC and
// TABLE_FEATURES (it reads them to resolve port and table names), install and list flows,
// read every statistic, and decode our errors.
//
// Requires ovs-ofctl (`apt-get install -y openvswitch-switch`); without it the suite is
// skipped, loudly.

import { execFile, spawnSync } from 'node:child_process';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath } from '../src/index.js';
import { udp } from './harness.js';

const run = promisify(execFile);

function ofctlVersion(): string | undefined {
  const r = spawnSync('ovs-ofctl', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0];
}

const OFCTL = ofctlVersion();
if (OFCTL === undefined) {
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '!! openflow-switch/test/ovs-ofctl.test.ts SKIPPED: `ovs-ofctl` is not installed, so the',
      "!! switch's FEATURES, PORT_DESC, TABLE_FEATURES and flow handling are NOT being checked",
      '!! against a real OpenFlow peer. Install it with:',
      '!!   DEBIAN_FRONTEND=noninteractive apt-get install -y openvswitch-switch',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
}

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
    expect(out).toMatch(/n_tables:255, n_buffers:0/);
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
    expect(out).toMatch(/instructions: apply_actions clear_actions write_actions write_metadata goto_table/);
    expect(out).toMatch(/actions: output\n/);
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

  it('groups, meters and queues read as absent', async () => {
    expect(await ofctl('dump-group-features')).toMatch(/OFPST_GROUP_FEATURES reply/);
    expect(await ofctl('dump-groups')).toMatch(/OFPST_GROUP_DESC reply/);
    expect(await ofctl('meter-features')).toMatch(/max_meter:0/);
    expect(await ofctl('queue-get-config', '1')).toMatch(/OFPT_QUEUE_GET_CONFIG_REPLY/);
  });

  it('our errors decode in ovs-ofctl', async () => {
    expect(await ofctlFails('add-flow', 'actions=mod_dl_dst:02:00:00:00:00:09,output:1')).toMatch(
      /OFPBAC_BAD_TYPE/,
    );
    expect(await ofctlFails('add-group', 'group_id=1,type=all,bucket=output:1')).toMatch(/OFPGMFC_BAD_TYPE/);
    expect(await ofctlFails('add-flow', 'check_overlap,priority=10,in_port=1,actions=drop')).toMatch(
      /OFPFMFC_OVERLAP/,
    );
  });

  it('del-flows empties the tables', async () => {
    await ofctl('del-flows');
    expect(await ofctl('dump-flows')).not.toMatch(/priority/);
    expect(dp.flows.tables.every((t) => t.activeCount === 0)).toBe(true);
  });
});
