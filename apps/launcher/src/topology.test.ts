import { parseIfconfig } from '@rumpflow/rump-net';
import { parseConfig } from '@rumpflow/switchd-core';
import { describe, expect, it } from 'vitest';
import { BACKENDS, plan, type PlanOptions } from './topology.js';

const base: PlanOptions = {
  backend: 'unix',
  controller: 'ofc',
  hosts: 2,
  rate: 5,
  portOffset: 0,
  runDir: '/run/rf',
  root: '/src/rumpflow',
  node: '/usr/bin/node',
};
const names = (o: Partial<PlanOptions>) => plan({ ...base, ...o }).services.map((s) => s.name);
const rcLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('plan', () => {
  it('starts the kernel first, the controller before switchd, the hosts last', () => {
    expect(names({})).toEqual(['rump-kernel-server', 'ofc', 'swioproxyd', 'switchd', 'hostsim1', 'hostsim2']);
    expect(names({ backend: 'rump', controller: 'ovs-testcontroller', hosts: 3 })).toEqual([
      'rump-kernel-server',
      'ovs-testcontroller',
      'switchd',
      'hostsim1',
      'hostsim2',
      'hostsim3',
    ]);
  });

  it('writes an rc file that ifconfig parses: four VXLAN ports at least, vether0 on LOCAL', () => {
    for (const hosts of [1, 2, 6]) {
      const lines = rcLines(plan({ ...base, hosts }).files.rc!);
      const cmds = lines.map((l) => parseIfconfig(l.split(/\s+/).slice(1)));
      const vxlans = cmds.filter((c) => c.kind === 'configure' && c.ifname.startsWith('vxlan'));
      expect(vxlans).toHaveLength(Math.max(4, hosts));
      expect(lines).toContain('ifconfig switch0 addlocal vether0');
      expect(lines.at(-1)).toBe('ifconfig switch0 up');
    }
  });

  it.each(BACKENDS)('writes a switchd.conf switchd parses for the %s backend', (backend) => {
    const p = plan({ ...base, backend, portOffset: 100 });
    const conf = parseConfig(p.files['switchd.conf']!);
    const spec = {
      unix: 'unix:/run/rf/switch0.sock',
      rump: 'rump:/dev/switch0',
      hijack: '/rump/dev/switch0',
    }[backend];
    expect(conf.devices).toHaveLength(1);
    expect(conf.devices[0]).toMatchObject({ spec, forward: ['tcp:127.0.0.1:6753', 'ptcp:6734:127.0.0.1'] });
    const switchd = p.services.find((s) => s.name === 'switchd')!;
    expect(switchd.env.RUMP_SERVER).toBe('unix:///run/rf/rump.sock');
    if (backend === 'hijack') {
      expect(switchd.args.slice(0, 2)).toEqual([
        '/src/rumpflow/apps/rumphijack/bin/rumphijack.js',
        '/usr/bin/node',
      ]);
      expect(switchd.env.RUMPHIJACK).toBe('path=/rump');
    } else expect(switchd.args[0]).toBe('/src/rumpflow/apps/switchd/bin/switchd.js');
  });

  it('pairs each hostsim with its own switch port and moves every port by the offset', () => {
    const p = plan({ ...base, hosts: 3, portOffset: 1000 });
    const h2 = p.services.find((s) => s.name === 'hostsim2')!;
    const arg = (flag: string) => h2.args[h2.args.indexOf(flag) + 1];
    expect(arg('--local')).toBe('127.0.0.1:5902');
    expect(arg('--remote')).toBe('127.0.0.1:5802');
    expect(arg('--ip')).toBe('10.0.0.2/24');
    expect(arg('--ping')).toBe('10.0.0.3');
    expect(p.files.rc).toContain('ifconfig vxlan1 create tunnel 127.0.0.1:5802 127.0.0.1:5902 vnetid 42 up');
    expect(p.hosts.map((h) => h.pings)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.1']);
    expect(p.ofcApi).toBe('http://127.0.0.1:9080');
    expect(p.kernelAdmin).toBe('http://127.0.0.1:10100');
  });

  it('refuses a host count it cannot address', () => {
    expect(() => plan({ ...base, hosts: 0 })).toThrow(RangeError);
    expect(() => plan({ ...base, hosts: 65 })).toThrow(RangeError);
  });
});
