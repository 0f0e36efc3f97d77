// Fan-out of completed syscalls to any number of subscribers: metrics, the admin ktrace
// stream, /dev/ktrace openers.

import type { SyscallRecord } from './kernel.js';

export class SyscallTap {
  private readonly subs = new Set<(r: SyscallRecord) => void>();

  emit(r: SyscallRecord): void {
    for (const s of this.subs) s(r);
  }

  subscribe(fn: (r: SyscallRecord) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }

  get subscribers(): number {
    return this.subs.size;
  }
}
