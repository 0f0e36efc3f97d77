// Open vSwitch's ovs-ofctl, the real OpenFlow peer of the differential tests. Without it the
// suites using it skip, loudly (requireOvsOfctl).

import { spawnSync } from 'node:child_process';
import { warnSkipped } from './skip-banner.js';

let version: string | undefined | null = null;

/** ovs-ofctl's version line, or undefined when it is not installed. */
export function ovsOfctlVersion(): string | undefined {
  if (version === null) {
    const r = spawnSync('ovs-ofctl', ['--version'], { encoding: 'utf8' });
    version = r.error || r.status !== 0 ? undefined : r.stdout.split('\n')[0];
  }
  return version;
}

/**
 * Print, where ovs-ofctl is missing, the banner a skipped suite owes its reader: which suite,
 * what is therefore not being checked, and how to install it. Returns ovs-ofctl's version.
 */
export function requireOvsOfctl(suite: string, unchecked: readonly string[]): string | undefined {
  const v = ovsOfctlVersion();
  if (v === undefined) {
    warnSkipped(suite, '`ovs-ofctl` is not installed', unchecked, [
      'Install it with:  DEBIAN_FRONTEND=noninteractive apt-get install -y openvswitch-switch',
    ]);
  }
  return v;
}
