// ifconfig's grammar and its listing format; execution against a real kernel is in
// ifconfig.kernel.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IFBIF, IFF, LINK_STATE } from '@rumpflow/sysproxy';
import {
  IfconfigUsageError,
  formatFlags,
  formatInterface,
  parseDatapathId,
  parseIfconfig,
} from './ifconfig.js';

const usage = (argv: string[]): string => {
  try {
    parseIfconfig(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(IfconfigUsageError);
    return (e as Error).message;
  }
  throw new Error(`parsed: ${argv.join(' ')}`);
};

describe('parseIfconfig', () => {
  it('lists, shows, lists cloners', () => {
    expect(parseIfconfig([])).toEqual({ kind: 'list' });
    expect(parseIfconfig(['-a'])).toEqual({ kind: 'list' });
    expect(parseIfconfig(['-C'])).toEqual({ kind: 'cloners' });
    expect(parseIfconfig(['vxlan0'])).toEqual({ kind: 'show', ifname: 'vxlan0' });
  });

  it('takes the contract lines of ARCHITECTURE.md', () => {
    expect(parseIfconfig('switch0 create'.split(' '))).toEqual({
      kind: 'configure',
      ifname: 'switch0',
      ops: [{ op: 'create' }],
    });
    expect(
      parseIfconfig('vxlan0 create tunnel 127.0.0.1:4801 127.0.0.1:4901 vnetid 42 up'.split(' ')),
    ).toEqual({
      kind: 'configure',
      ifname: 'vxlan0',
      ops: [
        { op: 'create' },
        {
          op: 'tunnel',
          src: { address: '127.0.0.1', port: 4801 },
          dst: { address: '127.0.0.1', port: 4901 },
        },
        { op: 'vnetid', vnetid: 42 },
        { op: 'up' },
      ],
    });
    expect(parseIfconfig('switch0 add vxlan0 portno 1'.split(' '))).toEqual({
      kind: 'configure',
      ifname: 'switch0',
      ops: [{ op: 'add', member: 'vxlan0', portno: 1 }],
    });
    expect(parseIfconfig('switch0 portno vxlan0 7'.split(' '))).toEqual({
      kind: 'configure',
      ifname: 'switch0',
      ops: [{ op: 'portno', member: 'vxlan0', portno: 7 }],
    });
    // OpenBSD's spelling after add: add, then renumber
    expect(parseIfconfig('switch0 add vxlan0 portno vxlan0 3'.split(' '))).toEqual({
      kind: 'configure',
      ifname: 'switch0',
      ops: [
        { op: 'add', member: 'vxlan0' },
        { op: 'portno', member: 'vxlan0', portno: 3 },
      ],
    });
    expect(parseIfconfig('switch0 datapath 0x1 up'.split(' '))).toEqual({
      kind: 'configure',
      ifname: 'switch0',
      ops: [{ op: 'datapath', datapath: 1n }, { op: 'up' }],
    });
  });

  it('takes the other operations', () => {
    const ops = (s: string) => {
      const c = parseIfconfig(s.split(' '));
      return c.kind === 'configure' ? c.ops : [];
    };
    expect(ops('vether0 inet 10.0.0.254/24')).toEqual([{ op: 'inet', address: '10.0.0.254', prefixlen: 24 }]);
    expect(ops('vether0 inet 10.0.0.254 netmask 255.255.255.0')).toEqual([
      { op: 'inet', address: '10.0.0.254', prefixlen: 24 },
    ]);
    expect(ops('vether0 inet 10.0.0.254 netmask 0xffff0000')).toEqual([
      { op: 'inet', address: '10.0.0.254', prefixlen: 16 },
    ]);
    expect(ops('vether0 inet 10.0.0.254')).toEqual([{ op: 'inet', address: '10.0.0.254', prefixlen: 32 }]);
    expect(ops('switch0 addlocal vether0 del vxlan1')).toEqual([
      { op: 'addlocal', member: 'vether0' },
      { op: 'del', member: 'vxlan1' },
    ]);
    expect(ops('vxlan0 tunnel 10.1.1.1 10.1.1.2 -tunnel mtu 1400 down destroy')).toEqual([
      { op: 'tunnel', src: { address: '10.1.1.1', port: 4789 }, dst: { address: '10.1.1.2', port: 4789 } },
      { op: '-tunnel' },
      { op: 'mtu', mtu: 1400 },
      { op: 'down' },
      { op: 'destroy' },
    ]);
  });

  it('names the bad word', () => {
    expect(usage(['vxlan0', 'vnetid', 'forty'])).toMatch(
      /vnetid: "forty" is not a number from 0 to 16777215/,
    );
    expect(usage(['vxlan0', 'vnetid', '16777216'])).toMatch(/"16777216"/);
    expect(usage(['vxlan0', 'vnetid'])).toMatch(/vnetid: missing value/);
    expect(usage(['vxlan0', 'tunnel', '127.0.0.1:4801'])).toMatch(/missing destination/);
    expect(usage(['vxlan0', 'tunnel', '127.0.0.300:1', '127.0.0.1:2'])).toMatch(
      /"127.0.0.300" is not an IPv4 address/,
    );
    expect(usage(['vxlan0', 'tunnel', '127.0.0.1:70000', '127.0.0.1:2'])).toMatch(/source port: "70000"/);
    expect(usage(['vxlan0', 'tunnel', '[::1]:1', '127.0.0.1:2'])).toMatch(/only IPv4/);
    expect(usage(['vxlan0', 'frobnicate'])).toMatch(/vxlan0: unknown word "frobnicate"/);
    expect(usage(['switch0', 'add'])).toMatch(/add: missing member/);
    expect(usage(['switch0', 'add', 'vxlan0', 'portno', '0'])).toMatch(
      /portno: "0" is not a number from 1 to 4294967040/,
    );
    expect(usage(['switch0', 'portno', 'vxlan0'])).toMatch(/portno: missing value/);
    expect(usage(['switch0', 'datapath', '0xg'])).toMatch(/datapath: "0xg" is not a number/);
    expect(usage(['switch0', 'datapath', '0x10000000000000000'])).toMatch(/does not fit in 64 bits/);
    expect(usage(['switch0', 'datapath', '09'])).toMatch(/"09"/);
    expect(usage(['vether0', 'inet', '10.0.0.1/33'])).toMatch(/prefix length: "33"/);
    expect(usage(['vether0', 'inet', '10.0.0.1', 'netmask', '255.0.255.0'])).toMatch(/not a contiguous mask/);
    expect(usage(['averyveryverylongname0'])).toMatch(/"averyveryverylongname0": not an interface name/);
    expect(usage(['-x'])).toMatch(/unknown option "-x"/);
    expect(usage(['-a', 'vxlan0'])).toMatch(/-a takes no further arguments/);
    expect(usage(['vxlan0', 'mtu', '10'])).toMatch(/mtu: "10"/);
  });

  it('reads datapath ids as strtoull base 0 does', () => {
    expect(parseDatapathId('0')).toBe(0n);
    expect(parseDatapathId('010')).toBe(8n);
    expect(parseDatapathId('0X1f')).toBe(31n);
    expect(parseDatapathId('18446744073709551615')).toBe(0xffffffffffffffffn);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), (v) => {
        expect(parseDatapathId(v.toString())).toBe(v);
        expect(parseDatapathId(`0x${v.toString(16)}`)).toBe(v);
        expect(parseDatapathId(`0${v.toString(8)}`)).toBe(v);
      }),
    );
  });

  it('never throws anything but a usage error, whatever the words', () => {
    const word = fc.oneof(
      fc.constantFrom(
        'create',
        'destroy',
        'up',
        'down',
        'mtu',
        'tunnel',
        '-tunnel',
        'vnetid',
        'inet',
        'netmask',
        'add',
        'portno',
        'del',
        'addlocal',
        'datapath',
        '-a',
        '-C',
      ),
      fc.string({ maxLength: 20 }),
      fc.nat().map(String),
      fc.constant('127.0.0.1:4789'),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
        try {
          parseIfconfig(argv);
        } catch (e) {
          expect(e).toBeInstanceOf(IfconfigUsageError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatInterface', () => {
  const data = {
    name: 'switch0',
    driver: 'switch',
    flags: IFF.UP | IFF.BROADCAST | IFF.RUNNING | IFF.SIMPLEX | IFF.MULTICAST,
    mtu: 1500,
    linkState: LINK_STATE.UP,
    mac: 'fe:e1:ba:d0:00:01',
    ipackets: 12n,
    opackets: 10n,
    ibytes: 1200n,
    obytes: 1000n,
    ierrors: 0n,
    oerrors: 1n,
    iqdrops: 2n,
    collisions: 0n,
    badvni: 0n,
    badhdr: 0n,
  };

  it('prints flags as ifconfig does', () => {
    expect(formatFlags(0x8843)).toBe('flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>');
    expect(formatFlags(0)).toBe('flags=0<>');
  });

  it('prints a switch with its ports and counters', () => {
    expect(
      formatInterface({
        data,
        datapath: 0x1n,
        ports: [
          { member: 'vxlan0', portno: 1, local: false },
          { member: 'vether0', portno: 0xfffffffe, local: true },
        ],
      }),
    ).toBe(
      [
        'switch0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500',
        '\tlladdr fe:e1:ba:d0:00:01',
        '\tdriver: switch status: active',
        '\tdatapath 0x0000000000000001',
        '\tvxlan0 port 1',
        `\tvether0 port local flags=${IFBIF.LOCAL.toString(16)}<LOCAL>`,
        '\tinput: 12 packets, 1200 bytes, 0 errors, 2 drops',
        '\toutput: 10 packets, 1000 bytes, 1 errors, 0 collisions',
        '',
      ].join('\n'),
    );
  });

  it('prints a vxlan with its tunnel and vnetid, a vether with its address', () => {
    const vx = formatInterface({
      data: { ...data, name: 'vxlan0', driver: 'vxlan', linkState: LINK_STATE.DOWN, badvni: 3n, badhdr: 4n },
      tunnel: { src: { address: '127.0.0.1', port: 4801 }, dst: { address: '127.0.0.1', port: 4901 } },
      vnetid: 42,
    });
    expect(vx).toContain(
      '\tdriver: vxlan status: no carrier\n\tencap: vnetid 42\n\ttunnel: inet 127.0.0.1:4801 --> 127.0.0.1:4901\n',
    );
    expect(vx).toContain('\tvxlan: 3 bad vnetid, 4 bad header\n');
    const ve = formatInterface({
      data: { ...data, name: 'vether0', driver: 'vether' },
      inet: { address: '10.0.0.254', prefixlen: 24 },
    });
    expect(ve).toContain('\tinet 10.0.0.254 netmask 0xffffff00 broadcast 10.0.0.255\n');
  });
});
