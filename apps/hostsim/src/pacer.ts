// Calls `fire(n)` so that n adds up to `rate` per second: one timer of at least 10 ms, with
// a credit of fractional sends carried over (rates above 100/s go out in small bursts).
// The credit is capped at one second's worth, so a stalled event loop does not cause a flood.

export class Pacer {
  private timer: NodeJS.Timeout | undefined;
  private credit = 0;
  private last = 0;

  constructor(
    private readonly rate: number,
    private readonly fire: (n: number) => void,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate ${rate}`);
  }

  start(): void {
    if (this.timer) return;
    const period = Math.max(10, 1000 / this.rate);
    this.last = performance.now();
    this.credit = 1; // the first send at once
    this.tick();
    this.timer = setInterval(() => this.tick(), period);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = performance.now();
    this.credit = Math.min(this.rate, this.credit + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    const n = Math.floor(this.credit);
    if (n > 0) {
      this.credit -= n;
      this.fire(n);
    }
  }
}
