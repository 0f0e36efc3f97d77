// The real switchd as a child process, against the project's switch engine behind a Unix
// socket (what swioproxyd serves), a controller built on the connection library, ovs-ofctl,
// ovs-testcontroller, Open vSwitch, switchctl and the admin API.

import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Ovs,
  killAllServices,
  ovsMissing,
  requireOvsOfctl,
  type ServiceProcess,
  warnSkipped,
  which,
} from '@rumpflow/test-tools';
import { DatapathServer, TestController, eventually, frame } from '@rumpflow/switchd-core/testing';
import {
  freePort,
  killSpawned,
  ofctl,
  run,
  spawnProgram,
  startSwitchd,
  switchctl,
  switchctlMonitor,
  writeConf,
} from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchd-app-'));
});
afterAll(async () => {
  await killSpawned();
  await killAllServices();
  rmSync(dir, { recursive: true, force: true });
});

describe('switchd command line', () => {
  it('-n checks a configuration: OK, or the file, line and column of the error (exit 2)', async () => {
    const good = writeConf(join(dir, 'good.conf'), [
      'ctl = "tcp:127.0.0.1:6653"',
      'device "unix:/tmp/x.sock" forward to $ctl',
    ]);
    const bad = writeConf(join(dir, 'bad.conf'), ['# two lines', 'device "unix:/tmp/x.sock" fail-mode open']);
    const macro = writeConf(join(dir, 'macro.conf'), ['device "unix:/tmp/x.sock" forward to $ctl']);
    // three processes at once: each spends seconds compiling under tsx
    const [sd, sd2, sd3] = [
      startSwitchd(['-n', '-f', good, '-s', join(dir, 'n.sock')]),
      startSwitchd(['-n', '-f', bad, '-s', join(dir, 'n.sock')]),
      // -D fills in a macro the file uses but does not define
      startSwitchd(['-dnv', '-D', 'ctl=tcp:127.0.0.1:7000', '-f', macro, '-s', join(dir, 'n.sock')]),
    ];
    expect((await sd.exited).code).toBe(0);
    expect(sd.text.join('\n')).toContain('configuration OK');
    expect((await sd2.exited).code).toBe(2);
    expect(sd2.text.join('\n')).toContain(`${bad}:2:37: fail-mode must be secure or standalone`);
    expect((await sd3.exited).code).toBe(0);
  }, 120_000);
});

describe('a running switchd relaying a device', () => {
  let dp: DatapathServer;
  let dp2: DatapathServer;
  let ctl: TestController;
  let sd: ServiceProcess;
  let conf: string;
  let sock: string;
  let ptcp: number;
  let listenPort: number;
  let admin: string;

  beforeAll(async () => {
    dp = await DatapathServer.start(join(dir, 'sw0.sock'));
    dp2 = await DatapathServer.start(join(dir, 'sw1.sock'), 0x2n);
    ctl = await TestController.start();
    ptcp = await freePort();
    listenPort = await freePort();
    const adminPort = await freePort();
    sock = join(dir, 'switchd.sock');
    conf = writeConf(join(dir, 'switchd.conf'), [
      `ctl = "tcp:127.0.0.1:${ctl.port}"`,
      `listen on 127.0.0.1 port ${listenPort}`,
      `device "unix:${dp.path}" forward to $ctl forward to ptcp:${ptcp}`,
    ]);
    sd = startSwitchd([
      '-f',
      conf,
      '-s',
      sock,
      '--admin',
      `127.0.0.1:${adminPort}`,
      '--inactivity-probe',
      '2',
    ]);
    await sd.ready();
    admin = `http://127.0.0.1:${adminPort}`;
  }, 60_000);
  afterAll(async () => {
    await sd?.stop();
    await ctl?.close();
    await dp?.close();
    await dp2?.close();
  });

  it('a controller gets HELLO, FEATURES, installs flows and receives PACKET_IN', async () => {
    const c = await ctl.connection(0);
    expect((await c.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0xabcn);
    const { flowModFrom, parseFlow } = await import('@rumpflow/openflow');
    await c.sendChecked(flowModFrom(parseFlow('priority=0,actions=controller')));
    dp.inject(1, frame('02:00:00:00:00:09', '02:00:00:00:00:01'));
    await eventually(() => expect(ctl.messages.get(c)?.some((m) => m.type === 'PACKET_IN')).toBe(true));
    // the control socket has mode 0600
    expect(statSync(sock).mode & 0o777).toBe(0o600);
  });

  it('ovs-ofctl works against the ptcp listener while the controller stays attached', async (ctx) => {
    const ovsOfctl = requireOvsOfctl('apps/switchd/test/switchd.test.ts (ptcp listener)', [
      "switchd's ptcp listener is NOT being tested with ovs-ofctl (that test is SKIPPED).",
    ]);
    if (ovsOfctl === undefined) return ctx.skip();
    const c = await ctl.connection(0);
    const t = `tcp:127.0.0.1:${ptcp}`;
    expect(await ofctl('show', t)).toMatch(/dpid:0000000000000abc[\s\S]*1\(eth1\)/);
    await ofctl('add-flow', t, 'priority=20,in_port=2,actions=output:3');
    expect(await ofctl('dump-flows', t)).toMatch(/priority=20,in_port=2 actions=output:3/);
    expect(dp.flows().some((e) => e.priority === 20)).toBe(true);
    expect(await ofctl('dump-ports', t)).toMatch(/port {2}1: rx pkts=1/);
    expect(await ofctl('dump-table-features', t)).toMatch(/table 0/);
    await ofctl('add-group', t, 'group_id=1,type=all,bucket=output:1,bucket=output:2');
    expect(await ofctl('dump-groups', t)).toMatch(
      /group_id=1,type=all,bucket=actions=output:1,bucket=actions=output:2/,
    );
    await ofctl('add-meter', t, 'meter=1,kbps,band=type=drop,rate=1000');
    expect(await ofctl('dump-meters', t)).toMatch(/meter=1 kbps/);
    await ofctl('mod-port', t, '3', 'down');
    expect(await ofctl('show', t)).toMatch(/3\(eth3\)[^\n]*\n\s+config:\s+PORT_DOWN/);
    await ofctl('del-flows', t, 'in_port=2');
    expect(await ofctl('dump-flows', t)).not.toMatch(/in_port=2/);
    // the controller was never disturbed
    expect(c.isClosed).toBe(false);
    expect((await c.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0xabcn);
  });

  it('switchctl: show, monitor, and direct OpenFlow commands', async () => {
    const conns = await switchctl(sock, 'show', 'connections');
    expect(conns.code).toBe(0);
    expect(conns.out).toMatch(/TARGET[\s\S]*tcp:127\.0\.0\.1:\d+/);
    const summary = await switchctl(sock, '--json', 'show', 'summary');
    expect(JSON.parse(summary.out)).toMatchObject({
      devices: 1,
      controllers: 1,
      listen: [`ptcp:${listenPort}:127.0.0.1`],
    });
    const devices = await switchctl(sock, 'show', 'devices');
    expect(devices.out).toContain(`unix:${dp.path}`);

    const lines: string[] = [];
    const stop = new AbortController();
    const monitoring = switchctlMonitor(sock, lines, stop.signal);
    await new Promise((r) => setTimeout(r, 300));
    const t = `tcp:127.0.0.1:${ptcp}`;
    expect(
      (await switchctl(sock, 'flow', 'add', t, 'priority=30,dl_type=0x0800,actions=output:1')).code,
    ).toBe(0);
    const dumped = await switchctl(sock, 'dump', 'flows', t);
    expect(dumped.out).toMatch(/priority=30,ip actions=output:1/);
    expect((await switchctl(sock, 'dump', 'desc', t)).out).toMatch(/rumpflow/);
    const del = await switchctl(sock, 'flow', 'delete', t, 'ip,out_port=1');
    expect(del, del.err).toMatchObject({ code: 0 });
    expect((await switchctl(sock, 'dump', 'flows', t)).out).not.toMatch(/priority=30/);
    const before = dp.sent.get(2)?.length ?? 0;
    const po = await switchctl(
      sock,
      'packet-out',
      t,
      '1',
      'output:2',
      Buffer.from(frame('02:00:00:00:00:02', '02:00:00:00:00:01')).toString('hex'),
    );
    expect(po).toMatchObject({ code: 0 });
    expect(dp.sent.get(2)?.length).toBe(before + 1);
    await eventually(() => expect(lines.join('')).toMatch(/<- 127\.0\.0\.1:\d+: OFPT_FLOW_MOD/));
    expect(lines.join('')).toMatch(/-> 127\.0\.0\.1:\d+: OFPST_FLOW reply/);
    stop.abort();
    expect(await monitoring).toBe(0);
    // bad input: a typed error, not a crash
    const bad = await switchctl(sock, 'flow', 'add', t, 'priority=1,nonsense=3,actions=drop');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/nonsense/);
    expect((await switchctl(sock, 'show', 'everything')).code).toBe(2);
  });

  it('serves /healthz, /metrics, /v1/devices, /v1/controllers, /v1/macs', async () => {
    const get = async (p: string) => {
      const r = await fetch(`${admin}${p}`);
      expect(r.status, p).toBe(200);
      return r;
    };
    expect(await (await get('/healthz')).json()).toMatchObject({ status: 'ok' });
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^switchd_controllers_connected 1$/m);
    expect(metrics).toMatch(/^switchd_messages_to_device_total [1-9]/m);
    expect(await (await get('/v1/devices')).json()).toMatchObject([
      { device: `unix:${dp.path}`, failMode: 'secure' },
    ]);
    expect(await (await get('/v1/controllers')).json()).toMatchObject([
      { target: `tcp:127.0.0.1:${ctl.port}`, up: true },
    ]);
    expect(await (await get('/v1/macs')).json()).toEqual([]);
  });

  it('SIGHUP and switchctl reload/load apply differences without touching unchanged connections', async () => {
    const c = await ctl.connection(0);
    const ptcp2 = await freePort();
    writeConf(conf, [
      `ctl = "tcp:127.0.0.1:${ctl.port}"`,
      `listen on 127.0.0.1 port ${listenPort}`,
      `device "unix:${dp.path}" forward to $ctl forward to ptcp:${ptcp} forward to ptcp:${ptcp2}`,
    ]);
    sd.child.kill('SIGHUP');
    await sd.waitFor((l) => l.msg === 'configuration applied' && (l['changed'] as string[]).length === 1);
    expect(await ofctl('show', `tcp:127.0.0.1:${ptcp2}`)).toMatch(/dpid:0000000000000abc/);
    expect(c.isClosed).toBe(false);

    // switchctl reload with the file unchanged: nothing changes
    const same = await switchctl(sock, 'reload');
    expect(JSON.parse(same.out)).toMatchObject({ changed: [], added: [], removed: [] });

    // load another file: a second device with ovs-testcontroller as its controller
    const tcPort = await freePort();
    const other = writeConf(join(dir, 'other.conf'), [
      `ctl = "tcp:127.0.0.1:${ctl.port}"`,
      `listen on 127.0.0.1 port ${listenPort}`,
      `device "unix:${dp.path}" forward to $ctl forward to ptcp:${ptcp}`,
      `device "unix:${dp2.path}" forward to tcp:127.0.0.1:${tcPort}`,
    ]);
    const loaded = await switchctl(sock, 'load', other);
    expect(loaded.code).toBe(0);
    expect(JSON.parse(loaded.out)).toMatchObject({
      added: [`device unix:${dp2.path}`],
      changed: [`device unix:${dp.path}`],
    });
    expect(c.isClosed).toBe(false);
    expect((await run('ovs-ofctl', ['-O', 'OpenFlow13', 'show', `tcp:127.0.0.1:${ptcp2}`])).code).not.toBe(0);
    // a broken file is refused and nothing changes
    const broken = writeConf(join(dir, 'broken.conf'), ['device "unix:/x" forward to nowhere']);
    const refused = await switchctl(sock, 'load', broken);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${broken}:1:29:`);

    if (!which('ovs-testcontroller')) {
      warnSkipped(
        'apps/switchd/test/switchd.test.ts (ovs-testcontroller)',
        '`ovs-testcontroller` is not installed',
        ['switchd is NOT being tested against ovs-testcontroller (that part of the test is SKIPPED).'],
        ['Install it with:  DEBIAN_FRONTEND=noninteractive apt-get install -y openvswitch-testcontroller'],
      );
      return;
    }
    // its control socket goes to OVS_RUNDIR (default /var/run/openvswitch)
    spawnProgram('ovs-testcontroller', ['-O', 'OpenFlow13', `ptcp:${tcPort}:127.0.0.1`], { OVS_RUNDIR: dir });
    // ovs-testcontroller learns: frames to a learnt address get a flow in the device
    await eventually(async () => {
      dp2.inject(1, frame('02:00:00:00:00:02', '02:00:00:00:00:01'));
      dp2.inject(2, frame('02:00:00:00:00:01', '02:00:00:00:00:02'));
      expect(dp2.flows().filter((e) => e.priority > 0).length).toBeGreaterThan(0);
    }, 20_000);
    const shown = await switchctl(sock, 'show', 'connections');
    expect(shown.out).toContain(`tcp:127.0.0.1:${tcPort}`);
  });

  it('Open vSwitch connects to `listen on` and is driven by the built-in learning controller', async (ctx) => {
    const why = ovsMissing();
    if (why) {
      warnSkipped(
        'apps/switchd/test/switchd.test.ts (Open vSwitch)',
        `Open vSwitch cannot run here (${why})`,
        ["Open vSwitch connecting to switchd's `listen on` is NOT being tested (that test is SKIPPED)."],
        ['Install it with:  DEBIAN_FRONTEND=noninteractive apt-get install -y openvswitch-switch'],
      );
      return ctx.skip();
    }
    const ovs = await Ovs.start();
    try {
      await ovs.addBridge('br0', { dpid: 0x42n, ports: 2, controller: [`tcp:127.0.0.1:${listenPort}`] });
      await eventually(async () => {
        const r = await switchctl(sock, '--json', 'show', 'switches');
        expect(JSON.parse(r.out)).toContainEqual(expect.objectContaining({ dpid: '0x0000000000000042' }));
      }, 20_000);
      // table-miss from the built-in controller, then learning from frames on the ports
      await eventually(
        async () => expect((await ovs.dumpFlows('br0')).join('\n')).toMatch(/priority=0 actions=CONTROLLER/),
        20_000,
      );
      await ovs.receive('br0', 1, frame('02:00:00:00:00:02', '02:00:00:00:00:01'));
      await ovs.receive('br0', 2, frame('02:00:00:00:00:01', '02:00:00:00:00:02'));
      await eventually(async () => {
        const macs = JSON.parse((await switchctl(sock, '--json', 'show', 'macs')).out) as {
          dpid: string;
          mac: string;
          port: number;
        }[];
        expect(
          macs
            .filter((m) => m.dpid === '0x0000000000000042')
            .map((m) => [m.mac, m.port])
            .sort(),
        ).toEqual([
          ['02:00:00:00:00:01', 1],
          ['02:00:00:00:00:02', 2],
        ]);
      }, 20_000);
      await eventually(
        async () => expect((await ovs.dumpFlows('br0')).join('\n')).toMatch(/dl_dst=02:00:00:00:00:01/),
        10_000,
      );
    } finally {
      await ovs.stop();
    }
  });

  it('stops cleanly on SIGTERM and removes its control socket', async () => {
    const exit = await sd.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(readFileSync(conf, 'utf8')).toContain('device');
  });
});
