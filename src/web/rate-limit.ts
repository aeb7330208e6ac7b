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
  take(clientAddress: string): number | null {
    const address = rateKey(clientAddress);
    const now = this.now();
    const window = this.windows.get(address);
    if (window === undefined || now - window.startedAt >= 60_000) {
      if (this.windows.size >= maxAddresses) this.makeRoom(now);
      this.windows.delete(address);
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

  /**
   * Windows are kept in the order they started: the oldest tenth goes (finished or not), so memory
   * stays bounded and the work is paid once per tenth, not on every request.
   */
  private makeRoom(now: number): void {
    let toGo = Math.ceil(maxAddresses / 10);
    for (const [address, window] of this.windows) {
      if (toGo <= 0 && now - window.startedAt < 60_000) break;
      this.windows.delete(address);
      toGo--;
    }
  }
}

/** Addresses counted at once; past it the oldest windows are forgotten. */
const maxAddresses = 100_000;

/**
 * What a client is counted as: its IPv4 address, or the /64 of an IPv6 one (one end user is
 * usually given a whole /64, and could otherwise send from a fresh address every time).
 */
export function rateKey(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
