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

  constructor(
    private readonly round: () => Promise<boolean>,
    private readonly idleMs: () => number,
    private readonly onError: (error: unknown) => Promise<void> | void,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Run a round now instead of at the next poll (e.g. right after a commit that queued work). */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
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
