import { spawnSync } from 'node:child_process';
import { Counter, Histogram, Registry, startMetricsServer } from '@tessera/metrics';

describe('the /metrics endpoint', () => {
  test('when a labelled family has no series yet, then it is left out; the others are served whole, in a format promtool accepts', async () => {
    const registry = new Registry();
    new Counter({ name: 'never_counted_total', help: 'A labelled counter nothing has counted.', labelNames: ['route'], registers: [registry] });
    const counted = new Counter({ name: 'counted_total', help: 'A labelled counter that counted.', labelNames: ['route'], registers: [registry] });
    new Counter({ name: 'unlabelled_total', help: 'A counter without labels: it starts at 0.', registers: [registry] });
    const latency = new Histogram({ name: 'latency_seconds', help: 'A histogram.', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
    new Histogram({ name: 'unused_seconds', help: 'A histogram nothing observed.', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
    counted.inc({ route: '/a' });
    latency.observe({ route: '/a' }, 0.5);
    const server = await startMetricsServer(registry, 0, '127.0.0.1');
    try {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
      expect(families).toEqual(['counted_total', 'unlabelled_total', 'latency_seconds']);
      expect(text).toContain('counted_total{route="/a"} 1');
      expect(text).toContain('unlabelled_total 0');
      expect(text).toContain('latency_seconds_bucket{le="+Inf",route="/a"} 1');
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.error).toBeUndefined();
      // promtool lints names too (e.g. counters without _total); only format errors fail the exit code.
      expect(check.status).toBe(0);
    } finally {
      await server.close();
    }
  });
});
