// --socket-group: a group name (looked up in /etc/group, as getgrnam(3) would for local
// groups) or a numeric gid.

import { readFileSync } from 'node:fs';

export function resolveGroup(group: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${groupFile} to look up group ${group}: ${(e as Error).message}`);
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new Error(`no such group: ${group}`);
}
