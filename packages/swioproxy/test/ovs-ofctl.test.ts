// A real peer through the proxy: Open vSwitch's ovs-ofctl connects to swioproxy's Unix socket
// as it would to any switch's (`unix:PATH`), while a test controller holds its own channel on
// the same device. Requires ovs-ofctl (`apt-get install -y openvswitch-switch`, as .ci/run
// does); without it the suite is skipped, loudly.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { listenUnix } from '@rumpflow/service';
import { killAllServices, requireOvsOfctl } from '@rumpflow/test-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchProxy } from '../src/index.js';
import { type Kernel, startKernel, switchState } from './kernel.js';
import { OfClient } from './of-client.js';

const run = promisify(execFile);

const OFCTL = requireOvsOfctl('swioproxy/test/ovs-ofctl.test.ts', [
  'the proxy is NOT being checked against a real OpenFlow peer.',
]);

describe.skipIf(OFCTL === undefined)(
  `ovs-ofctl (${OFCTL ?? 'absent'}) through swioproxy`,
  { timeout: 120_000 },
  () => {
    let dir = '';
    let kernel: Kernel;
    let proxy: SwitchProxy;
    let target = '';
    let controller: OfClient;

    const ofctl = async (...args: string[]): Promise<string> =>
      (await run('ovs-ofctl', ['-O', 'OpenFlow13', ...args], { timeout: 60_000 })).stdout;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'swioproxy-ofctl-'));
      kernel = await startKernel(dir);
      const sock = path.join(dir, 'switch0.sock');
      target = `unix:${sock}`;
      proxy = new SwitchProxy({
        pairs: [{ listen: sock, device: '/dev/switch0' }],
        rumpServer: kernel.url,
        listenUnix: (s, p, m) => listenUnix(s, p, m),
      });
      const up = new Promise((r) => proxy.once('kernelUp', r));
      await proxy.start();
      await up;
      controller = await OfClient.connect(sock);
      await controller.handshake();
    }, 60_000);

    afterAll(async () => {
      controller?.close();
      await proxy?.stop();
      await kernel?.proc.stop();
      await killAllServices();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('shows the switch, adds, dumps and deletes flows while a controller is attached', async () => {
      const show = await ofctl('show', target);
      expect(show).toMatch(/OFPT_FEATURES_REPLY \(OF1\.3\).*dpid:[0-9a-f]{16}/s);
      await ofctl('add-flow', target, 'priority=10,ip,nw_dst=10.0.0.1,actions=drop');
      await ofctl('add-flow', target, 'priority=20,udp,tp_dst=53,actions=output:2');
      const flows = await ofctl('dump-flows', target);
      expect(flows).toMatch(/priority=10,ip,nw_dst=10\.0\.0\.1 actions=drop/);
      expect(flows).toMatch(/priority=20,udp,tp_dst=53 actions=output:2/);
      expect((await switchState(kernel)).flows).toBe(2);
      await ofctl('del-flows', target);
      expect((await switchState(kernel)).flows).toBe(0);
      // the controller's own channel was never disturbed
      const xid = controller.send({ type: 'ECHO_REQUEST', data: new Uint8Array(4) });
      await controller.nextOfType('ECHO_REPLY', xid);
      expect(proxy.totals.accepted).toBeGreaterThanOrEqual(6);
    });
  },
);
