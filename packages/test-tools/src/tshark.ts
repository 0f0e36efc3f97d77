// Running tshark (Wireshark's command-line dissector) over a pcap, for differential tests
// against an implementation nobody on this project wrote. Without tshark the suites using it
// skip, loudly (tsharkMissing).

import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { warnSkipped } from './skip-banner.js';

const run = promisify(execFile);

let version: string | undefined | null = null;

/** tshark's version ("4.0.17"), or undefined when it is not installed. */
export function tsharkVersion(): string | undefined {
  if (version === null) {
    const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
    version =
      r.error || r.status !== 0
        ? undefined
        : (/TShark \(Wireshark\) (\S+)/.exec(r.stdout)?.[1] ?? r.stdout.split('\n')[0]);
  }
  return version;
}

/**
 * Print, where tshark is missing, the banner a skipped suite owes its reader: which suite,
 * what is therefore not being checked, and how to install tshark. Returns tshark's version.
 */
export function requireTshark(suite: string, unchecked: readonly string[]): string | undefined {
  const v = tsharkVersion();
  if (v === undefined) {
    warnSkipped(suite, '`tshark` is not installed', unchecked, [
      'Install it with:  DEBIAN_FRONTEND=noninteractive apt-get install -y tshark',
      '(macOS: brew install wireshark)',
    ]);
  }
  return v;
}

export interface TsharkOptions {
  /** Largest output accepted, in bytes (default 512 MiB). */
  readonly maxBuffer?: number;
}

/**
 * Write `pcap` to a temporary file, run `tshark -r FILE -n ARGS...` over it (C locale, no name
 * resolution) and return its standard output. The file is removed afterwards.
 */
export async function runTshark(
  pcap: Uint8Array,
  args: readonly string[],
  opts: TsharkOptions = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rumpflow-tshark-'));
  try {
    const file = join(dir, 'capture.pcap');
    await writeFile(file, pcap);
    const { stdout } = await run('tshark', ['-r', file, '-n', ...args], {
      maxBuffer: opts.maxBuffer ?? 512 * 1024 * 1024,
      env: { ...process.env, LC_ALL: 'C' },
    });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
