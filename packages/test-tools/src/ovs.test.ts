// The Open vSwitch harness itself: a bridge of the dummy datapath takes flows, counts a frame
// injected on a port, and stop() leaves no daemon or directory behind.

import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Ovs, ovsMissing, stopAllOvs } from './ovs.js';
import { warnSkipped } from './skip-banner.js';

const MISSING = ovsMissing();
if (MISSING !== undefined)
  warnSkipped(
    'packages/test-tools/src/ovs.test.ts',
    `Open vSwitch cannot run here (${MISSING})`,
    ['the Open vSwitch harness other suites rely on is NOT being checked (those tests are SKIPPED).'],
    ['Install it with:  DEBIAN_FRONTEND=noninteractive apt-get install -y openvswitch-switch'],
  );

afterAll(async () => {
  await stopAllOvs();
});

describe.skipIf(MISSING !== undefined)('Ovs', () => {
  it('runs a dummy bridge that forwards an injected frame, then stops both daemons by pid', async () => {
    const ovs = await Ovs.start();
    expect(ovs.pids).toHaveLength(2);
    await ovs.addBridge('br0', { dpid: 0xabcn, ports: 2 });
    expect(await ovs.ofctl('show', 'br0')).toMatch(
      /dpid:0000000000000abc[\s\S]*1\(br0-p1\)[\s\S]*2\(br0-p2\)/,
    );
    await ovs.ofctl('add-flow', 'br0', 'in_port=1,actions=output:2');
    const frame = Buffer.from('ffffffffffff020000000001' + '88b5' + '00'.repeat(46), 'hex');
    await ovs.receive('br0', 1, frame);
    const flows = await ovs.dumpFlows('br0');
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatch(/n_packets=1, n_bytes=60, .*in_port=1 actions=output:2/);
    const { dir, pids } = ovs;
    await ovs.stop();
    expect(existsSync(dir)).toBe(false);
    // gone, or a zombie its parent has not reaped yet (the daemons detached: not ours to reap)
    for (const pid of pids) {
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      expect(stat === '' || /^\d+ \(.*\) Z/.test(stat), stat).toBe(true);
    }
  }, 60_000);
});
