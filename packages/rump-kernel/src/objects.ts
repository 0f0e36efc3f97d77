// The objects a kernel makes itself (pipes, kqueues, sockets): numbers for their names
// ('pipe#3') and how many of each are open. Per kernel, so two kernels in one process (tests,
// several servers) neither share numbering nor each other's counts.

export class ObjectCounter {
  private readonly made = new Map<string, number>();
  private readonly live = new Map<string, number>();

  /** A new object of `kind`: its number, and `closed` to call once when it is gone. */
  create(kind: string): { id: number; closed: () => void } {
    const id = (this.made.get(kind) ?? 0) + 1;
    this.made.set(kind, id);
    this.live.set(kind, (this.live.get(kind) ?? 0) + 1);
    let done = false;
    const closed = () => {
      if (done) return;
      done = true;
      this.live.set(kind, (this.live.get(kind) ?? 1) - 1);
    };
    return { id, closed };
  }

  /** Objects of `kind` open now. */
  open(kind: string): number {
    return this.live.get(kind) ?? 0;
  }
}
