/** One line per step: a spinner while it runs (on a terminal), then ✔ or ✖ with the time it took. */
export async function step<T>(label: string, work: () => Promise<T>, detail?: (value: T) => string): Promise<T> {
  const started = Date.now();
  const tty = process.stdout.isTTY;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = tty ? setInterval(() => process.stdout.write(`\r${frames[i++ % frames.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)}s`), 100) : undefined;
  try {
    const value = await work();
    const extra = detail ? ` — ${detail(value)}` : '';
    process.stdout.write(`${tty ? '\r\x1b[K' : ''}✔ ${label}${extra} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
    return value;
  } catch (error) {
    process.stdout.write(`${tty ? '\r\x1b[K' : ''}✖ ${label} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
    throw error;
  } finally {
    if (timer) clearInterval(timer);
  }
}
