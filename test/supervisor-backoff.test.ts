import { nextRestart } from '../scripts/runner/supervisor';

describe('the runner restarting a crashed process', () => {
  test('when it crashes again and again at start, then the wait doubles from 0.5 s up to 30 s', () => {
    let streak = 0;
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const next = nextRestart(streak, 1_000);
      streak = next.streak;
      delays.push(next.delayMs);
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  test('when it ran healthy for a minute before crashing, then the backoff starts over', () => {
    expect(nextRestart(8, 59_000).delayMs).toBe(30_000);
    expect(nextRestart(8, 60_000)).toEqual({ streak: 1, delayMs: 500 });
  });
});
