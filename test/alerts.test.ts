import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { CHART, describeWithHelm, HELM_SUPPORTED, render, ROOT } from './support/helm';

const promtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'pipe' });
    return 'promtool';
  } catch {
    return undefined;
  }
})();

/** Every metric the code registers (prom-client constructors in the sources), with its labels. */
function exportedMetrics(): Map<string, Set<string>> {
  const metrics = new Map<string, Set<string>>();
  const files = ['packages', 'services'].flatMap((top) => readdirSync(path.join(ROOT, top)).map((d) => path.join(ROOT, top, d, 'src'))).concat(path.join(ROOT, 'edge', 'src'));
  const walk = (dir: string): string[] => {
    try {
      return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    } catch {
      return [];
    }
  };
  for (const file of files.flatMap(walk)) {
    const source = readFileSync(file, 'utf8');
    const constLabels = /const labelNames = \[([^\]]*)\]/.exec(source)?.[1];
    for (const m of source.matchAll(/new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{([^}]*)\}\)/g)) {
      const name = /name: '([a-z_:]+)'/.exec(m[2]!)?.[1];
      if (!name) continue;
      const literal = /labelNames: \[([^\]]*)\]/.exec(m[2]!)?.[1] ?? (/labelNames[,\s}]/.test(m[2]!) ? constLabels : undefined) ?? '';
      const labels = new Set([...literal.matchAll(/'([a-z_]+)'/g)].map((x) => x[1]!));
      if (m[1] === 'Histogram') {
        metrics.set(`${name}_bucket`, new Set([...labels, 'le']));
        metrics.set(`${name}_sum`, labels);
        metrics.set(`${name}_count`, labels);
      } else metrics.set(name, labels);
    }
  }
  // prom-client's default process metrics (createRegistry collects them) have no labels of their own.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes']) metrics.set(name, new Set());
  return metrics;
}

/** Labels Prometheus adds to every series it scrapes through the operator's monitors. */
const TARGET_LABELS = new Set(['namespace', 'job', 'pod', 'instance', 'service', 'endpoint', 'container']);
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'le', 'Inf']);

/** The metrics and labels a PromQL expression names (selectors, `by` clauses), Grafana variables aside. */
function namesIn(expr: string): { metrics: string[]; labels: string[] } {
  const labels = new Set<string>();
  let bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of bare.matchAll(/\{([^}]*)\}/g)) for (const l of m[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.add(l[1]!);
  for (const m of bare.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) for (const l of m[1]!.split(',')) if (l.trim()) labels.add(l.trim());
  bare = bare.replace(/\{[^}]*\}/g, ' ').replace(/\b(?:by|without)\s*\([^)]*\)/g, ' ').replace(/\[[^\]]*\]/g, ' ').replace(/\$\w+/g, ' ');
  const metrics = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w));
  return { metrics: [...new Set(metrics)], labels: [...labels] };
}

describeWithHelm('alerts and dashboards', () => {
  const objects = HELM_SUPPORTED ? render().objects : [];
  const rules = objects.find((o) => o.kind === 'PrometheusRule')!;
  const alertRules = () => (rules.spec.groups as { rules: { alert: string; expr: string }[] }[]).flatMap((g) => g.rules);

  test('when the alert rules render, then promtool accepts them and their unit tests pass (every alert has a case that fires it)', () => {
    if (!promtool) throw new Error('promtool is not on PATH: `apt-get install prometheus` (Debian), as .ci/run does');
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-alerts-'));
    try {
      writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups: rules.spec.groups }));
      copyFileSync(path.join(ROOT, 'test', 'fixtures', 'alerts.test.yaml'), path.join(dir, 'alerts.test.yaml'));
      const check = spawnSync(promtool, ['check', 'rules', 'rules.yaml'], { cwd: dir, encoding: 'utf8' });
      expect(`${check.status} ${check.stdout}${check.stderr}`).toMatch(/^0 [\s\S]*SUCCESS/);
      const tests = spawnSync(promtool, ['test', 'rules', 'alerts.test.yaml'], { cwd: dir, encoding: 'utf8' });
      expect(`${tests.status} ${tests.stdout}${tests.stderr}`).toMatch(/^0 [\s\S]*SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const cases = parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'alerts.test.yaml'), 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const fired = new Set(cases.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect(alertRules().map((r) => r.alert).filter((a) => !fired.has(a))).toEqual([]);
  });

  test('when a dashboard panel, an alert or a KEDA trigger queries Prometheus, then every metric and label it names is one the code exports (or Prometheus adds)', () => {
    const metrics = exportedMetrics();
    expect(metrics.size).toBeGreaterThan(30);
    const dashboards = readdirSync(path.join(CHART, 'dashboards')).map((f) => JSON.parse(readFileSync(path.join(CHART, 'dashboards', f), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[]; templating: { list: { name: string; query?: { query: string } }[] } });
    const queries = [
      ...dashboards.flatMap((d) => d.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })))),
      ...alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
      ...render([path.join(CHART, 'ci', 'gateway-api-values.yaml'), path.join(CHART, 'ci', 'keda-values.yaml')]).objects.filter((o) => o.kind === 'ScaledObject').flatMap((o) => (o.spec.triggers as { type: string; metadata: { query?: string } }[]).filter((t) => t.metadata.query).map((t) => ({ where: `KEDA ${o.metadata.name}`, expr: t.metadata.query! }))),
    ];
    expect(queries.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const { where, expr } of queries) {
      const { metrics: named, labels } = namesIn(expr);
      if (named.length === 0) problems.push(`${where}: names no metric`);
      for (const m of named) if (!metrics.has(m)) problems.push(`${where}: ${m} is not exported`);
      const known = new Set([...TARGET_LABELS, ...named.flatMap((m) => [...(metrics.get(m) ?? [])])]);
      for (const l of labels) if (!known.has(l)) problems.push(`${where}: label ${l} is not on ${named.join(', ')}`);
    }
    // Every panel is filtered to the dashboard's namespace and jobs.
    for (const d of dashboards) for (const p of d.panels) for (const t of p.targets) if (!/namespace="\$namespace", job=~"\$job"/.test(t.expr)) problems.push(`panel "${p.title}": not filtered by namespace and job`);
    expect(problems).toEqual([]);
  });

  test('when the metric check reads a query naming something the code does not export, then it says so', () => {
    expect(namesIn('sum by (route, bogus) (rate(http_server_request_duration_seconds_count{namespace="$namespace", status=~"5.."}[5m]))')).toEqual({ metrics: ['http_server_request_duration_seconds_count'], labels: ['namespace', 'status', 'route', 'bogus'] });
    expect(exportedMetrics().has('edge_http_requests_total')).toBe(false);
  });
});
