export type Priority = 'critical' | 'normal';

export interface AdaptiveLimitOptions {
  /**
   * Where the limit starts (default: the ceiling, so a burst of cheap work is
   * not refused before latency has said anything), and its floor and ceiling.
   */
  initial?: number;
  min?: number;
  max?: number;
  /** How much slower than its long-run average latency may get before the limit shrinks (2 = twice). */
  tolerance?: number;
  /** Critical work may use this much more than the limit (login, order status, health). */
  criticalHeadroom?: number;
}

/**
 * Adaptive admission (Netflix's Gradient2, simplified): a concurrency limit
 * that follows latency. Every finished request is a sample; while the short
 * average latency stays within `tolerance` of the long-run average the limit
 * grows by about √limit, and as latency climbs above it (queueing somewhere
 * downstream) the limit shrinks in proportion. Work over the limit is
 * refused at once, not queued: a fast "try again" beats a slow timeout, and
 * what is admitted keeps its latency. Critical work gets headroom over the
 * limit, so it is the last to be refused.
 */
export class AdaptiveLimit {
  private current: number;
  private inFlight = 0;
  private shortRtt = 0;
  private longRtt = 0;
  private readonly o: Required<AdaptiveLimitOptions>;

  constructor(options: AdaptiveLimitOptions = {}, private readonly now: () => number = () => performance.now()) {
    const max = options.max ?? 2_048;
    this.o = { initial: max, min: 64, max, tolerance: 2, criticalHeadroom: 1.5, ...options };
    this.current = this.o.initial;
  }

  get limit(): number {
    return Math.floor(this.current);
  }

  get active(): number {
    return this.inFlight;
  }

  /** A release function when admitted (call it once, when the work ends), or undefined when refused. */
  acquire(priority: Priority = 'normal'): ((outcome?: 'ok' | 'dropped') => void) | undefined {
    const cap = priority === 'critical' ? this.current * this.o.criticalHeadroom : this.current;
    if (this.inFlight >= cap) return undefined;
    this.inFlight++;
    const started = this.now();
    let released = false;
    return (outcome = 'ok') => {
      if (released) return;
      released = true;
      this.inFlight--;
      // A request that ended early (cancelled, refused downstream) says nothing about latency.
      if (outcome === 'ok') this.sample(this.now() - started);
    };
  }

  private sample(rtt: number): void {
    if (this.longRtt === 0) {
      this.shortRtt = this.longRtt = rtt;
      return;
    }
    this.shortRtt += (rtt - this.shortRtt) * 0.1;
    this.longRtt += (rtt - this.longRtt) * 0.005;
    // After a sustained change in load the long average catches up faster (Gradient2's drift guard).
    if (this.longRtt > this.shortRtt * 2) this.longRtt *= 0.95;
    const gradient = Math.max(0.5, Math.min(1, (this.o.tolerance * this.longRtt) / Math.max(this.shortRtt, 1e-3)));
    const next = this.current * gradient + Math.sqrt(this.current);
    this.current = Math.max(this.o.min, Math.min(this.o.max, this.current * 0.8 + next * 0.2));
  }
}
