/**
 * Requests per client address per minute, counted in memory: a flood of public POSTs (sign-in,
 * activation) is turned away before it reads a body or writes a row. Refusals are only counted;
 * `drainRefusals` gives the count for one log line now and then, never one per request.
 */
export class AddressRateLimit {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();
  private refused = 0;
  private readonly refusedFrom = new Set<string>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Null when the request may go on; else the seconds until this address may send again. */
  take(address: string): number | null {
    const now = this.now();
    const window = this.windows.get(address);
    if (window === undefined || now - window.startedAt >= 60_000) {
      if (this.windows.size >= 100_000) this.forgetOld(now);
      this.windows.set(address, { startedAt: now, count: 1 });
      return null;
    }
    if (window.count < this.perMinute) {
      window.count++;
      return null;
    }
    this.refused++;
    this.refusedFrom.add(address);
    return Math.max(1, Math.ceil((window.startedAt + 60_000 - now) / 1000));
  }

  /** How many requests were turned away since the last call, and from how many addresses. */
  drainRefusals(): { refused: number; addresses: number } {
    const drained = { refused: this.refused, addresses: this.refusedFrom.size };
    this.refused = 0;
    this.refusedFrom.clear();
    return drained;
  }

  private forgetOld(now: number): void {
    for (const [address, window] of this.windows) if (now - window.startedAt >= 60_000) this.windows.delete(address);
  }
}
