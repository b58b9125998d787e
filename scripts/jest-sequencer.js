const Sequencer = require('@jest/test-sequencer').default;

/**
 * The fault campaign and the end-to-end runner test take minutes each, alone;
 * started first they run beside the many short suites instead of after them
 * (on a clean clone Jest has no timings yet and would start them last).
 */
const FIRST = ['test/chaos.test.ts', 'test/e2e.test.ts'];

class SlowFirst extends Sequencer {
  sort(tests) {
    const rank = (t) => {
      const i = FIRST.findIndex((f) => t.path.endsWith(f));
      return i === -1 ? FIRST.length : i;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowFirst;
