/**
 * A background worker loop: runs `round` again at once while it reports more
 * work, otherwise sleeps `idleMs()` (or until poked), and logs failed rounds
 * without dying. Every background worker runs on one: outbox relays, webhook
 * dispatchers, the orders recovery worker.
 */
export class PollLoop {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private poked: NodeJS.Timeout | undefined;

  constructor(
    private readonly round: () => Promise<boolean>,
    private readonly idleMs: () => number,
    private readonly onError: (error: unknown) => Promise<void> | void,
    /**
     * Pokes within this window share one round: under load, a round per
     * commit would cost more than the work it moves (each round is queries
     * and a delivery call), so they are gathered briefly. 0: at once.
     */
    private readonly pokeDelayMs = 0,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Run a round soon (within `pokeDelayMs`) instead of at the next poll, e.g. right after a commit that queued work. */
  poke(): void {
    if (this.pokeDelayMs <= 0) return this.wake?.();
    this.poked ??= setTimeout(() => {
      this.poked = undefined;
      this.wake?.();
    }, this.pokeDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.poked);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        busy = await this.round();
      } catch (error) {
        await this.onError(error);
      }
      if (!busy && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.idleMs());
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }
}
