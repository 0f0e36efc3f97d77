// The one hijack of this program (set by the loader, index.ts), for the exports that need it.

import type { Hijack } from './hijack.js';
import { HostFds } from './host-fds.js';

export const hostFds = new HostFds();
let current: Hijack | undefined;

export function installed(): Hijack | undefined {
  return current;
}

export function setInstalled(h: Hijack | undefined): void {
  current = h;
}
