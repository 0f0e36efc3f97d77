// ifconfig executed through a real kernel's syscalls (in-process, as rump-kernel-server's
// --rc runs it): interfaces made, configured, listed and refused with the right errno; the
// rc runner stopping at the first failing line.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kernel } from '@rumpflow/rump-kernel';
import { IfconfigError, RcError, ifconfig, kernelSyscalls, runRc } from './ifconfig.js';
import { Network } from './net.js';

let kernel: Kernel;
let net: Network;
let sys: ReturnType<typeof kernelSyscalls>;

beforeEach(() => {
  kernel = new Kernel();
  net = new Network({ timers: kernel.timers, hostId: 'ifconfig-test' });
  net.attach(kernel);
  sys = kernelSyscalls(kernel, kernel.newProcess('ifconfig'));
});

afterEach(async () => {
  for (const name of [...net.interfaces.keys()].reverse()) {
    await ifconfig([name, 'destroy'], sys).catch(() => undefined);
  }
});

const refusal = async (argv: string[]): Promise<IfconfigError> => {
  try {
    await ifconfig(argv, sys);
  } catch (e) {
    expect(e).toBeInstanceOf(IfconfigError);
    return e as IfconfigError;
  }
  throw new Error(`ifconfig ${argv.join(' ')} succeeded`);
};

describe('ifconfig through the kernel', () => {
  it('makes a switch with VXLAN ports and a vether, and lists them', async () => {
    expect(
      await ifconfig('vxlan0 create tunnel 127.0.0.1:47999 127.0.0.1:4901 vnetid 42'.split(' '), sys),
    ).toBe('');
    await ifconfig('vether0 create inet 10.0.0.254/24 up'.split(' '), sys);
    await ifconfig('switch0 create add vxlan0 portno 5 addlocal vether0 datapath 0x1f up'.split(' '), sys);
    expect(await ifconfig(['-C'], sys)).toMatch(/switch/);
    const all = await ifconfig(['-a'], sys);
    expect(all).toMatch(/^vxlan0: flags=[0-9a-f]+<[^>]*> mtu 1500\n\tlladdr 02:/m);
    expect(all).toMatch(/^\tencap: vnetid 42$/m);
    expect(all).toMatch(/^\ttunnel: inet 127\.0\.0\.1:47999 --> 127\.0\.0\.1:4901$/m);
    expect(all).toMatch(/^vether0: flags=[0-9a-f]+<UP,/m);
    expect(all).toMatch(/^\tinet 10\.0\.0\.254 netmask 0xffffff00 broadcast 10\.0\.0\.255$/m);
    expect(all).toMatch(/^switch0: flags=[0-9a-f]+<UP,/m);
    expect(all).toMatch(/^\tdatapath 0x000000000000001f$/m);
    expect(all).toMatch(/^\tvxlan0 port 5$/m);
    expect(all).toMatch(/^\tvether0 port local flags=1000<LOCAL>$/m);
    const one = await ifconfig(['vxlan0'], sys);
    expect(all).toContain(one);
    await ifconfig('switch0 portno vxlan0 7'.split(' '), sys);
    expect(await ifconfig(['switch0'], sys)).toMatch(/^\tvxlan0 port 7$/m);
    await ifconfig('switch0 del vxlan0 down'.split(' '), sys);
    const after = await ifconfig(['switch0'], sys);
    expect(after).not.toMatch(/vxlan0/);
    expect(after).toMatch(/^switch0: flags=[0-9a-f]+<(?!UP)/m);
  });

  it('answers what the kernel refuses with the errno, naming interface and operation', async () => {
    expect((await refusal(['vxlan9', 'up'])).message).toBe('vxlan9: up: ENXIO');
    await ifconfig(['vxlan0', 'create'], sys);
    expect((await refusal(['vxlan0', 'create'])).message).toBe('vxlan0: create: EEXIST');
    expect((await refusal(['bogus0', 'create'])).message).toBe('bogus0: create: EINVAL');
    expect((await refusal(['vxlan0', 'datapath', '1'])).message).toMatch(/^vxlan0: datapath 0x1: ENOTTY$/);
    await ifconfig(['switch0', 'create'], sys);
    expect((await refusal(['switch0', 'add', 'nosuch0'])).message).toMatch(/^switch0: add nosuch0: ENXIO$/);
  });

  it('runs an rc file, stopping at the first failing line with its number', async () => {
    const out: string[] = [];
    const n = await runRc(
      [
        '# boot',
        '',
        'ifconfig switch0 create   # the switch',
        'ifconfig vxlan0 create vnetid 7',
        'ifconfig switch0 add vxlan0 portno 1 up',
        'ifconfig switch0',
      ].join('\n'),
      sys,
      { file: 'boot.rc', out: (t) => void out.push(t) },
    );
    expect(n).toBe(4);
    expect(out.join('')).toMatch(/^\tvxlan0 port 1$/m);

    const bad = 'ifconfig vether0 create\nifconfig vether0 create\nifconfig vether1 create\n';
    const e = await runRc(bad, sys, { file: 'two.rc' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RcError);
    expect((e as RcError).line).toBe(2);
    expect((e as RcError).message).toBe('two.rc:2: ifconfig vether0 create: vether0: create: EEXIST');
    expect(net.interfaces.has('vether1')).toBe(false);

    // a usage error anywhere stops the file before anything runs
    const typo = await runRc('ifconfig vether5 create\nifconfig vether5 vnetid x\n', sys, {
      file: 't.rc',
    }).catch((x: unknown) => x);
    expect((typo as RcError).message).toBe(
      't.rc:2: ifconfig vether5 vnetid x: vnetid: "x" is not a number from 0 to 16777215',
    );
    expect(net.interfaces.has('vether5')).toBe(false);
    const other = await runRc('route add default 10.0.0.1\n', sys).catch((x: unknown) => x);
    expect((other as RcError).message).toMatch(/^rc:1: .*unknown command "route"/);
  });
});
