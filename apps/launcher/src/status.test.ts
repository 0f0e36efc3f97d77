import { describe, expect, it } from 'vitest';
import { formatLine, formatSummary, formatTable, type Sample } from './status.js';

const host = (
  name: string,
  ip: string,
  peer: string,
  sent: number,
  replies: number,
  lost: number,
  frames: number,
) => ({
  name,
  ip,
  framesIn: frames,
  framesOut: frames,
  peers: [{ ip: peer, pingsSent: sent, pingReplies: replies, pingsLost: lost, rttMs: { p50: 1.5, p99: 4 } }],
});

describe('status output', () => {
  it('lines up the table', () => {
    const t = formatTable([
      { service: 'rump-kernel-server', pid: 10, addresses: ['unix:///r/rump.sock'], healthy: true },
      { service: 'ofc', pid: undefined, addresses: ['ptcp:6653', 'api'], healthy: false },
    ]).split('\n');
    expect(t[0]).toBe('SERVICE             PID  HEALTH     ADDRESSES');
    expect(t[1]).toBe('rump-kernel-server  10   healthy    unix:///r/rump.sock');
    expect(t[2]).toBe('ofc                 -    UNHEALTHY  ptcp:6653, api');
  });

  it("prints the interval's pings, loss and frame rate, and the flow count", () => {
    const a: Sample = { at: 0, hosts: [host('h1', '10.0.0.1', '10.0.0.2', 10, 8, 2, 50)], flows: 2 };
    const b: Sample = {
      at: 2000,
      hosts: [host('h1', '10.0.0.1', '10.0.0.2', 20, 18, 2, 150), undefined],
      flows: 4,
    };
    expect(formatLine(a, b).slice(10)).toBe(
      'pings 10 sent 10 answered  loss 0.0% (total 10.0%)  rtt p50 1.50 ms p99 4.00 ms  100 frames/s  flows 4  1 host(s) not answering',
    );
    expect(formatSummary(b)).toEqual([
      'h1 10.0.0.1 -> 10.0.0.2: 20 pings, 18 replies, 10.0% loss, rtt p50 1.50 ms p99 4.00 ms',
    ]);
  });
});
