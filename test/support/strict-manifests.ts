import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, type K8sObject } from './helm';

/**
 * Strict validation: every rendered object as a TypeScript object literal of
 * its kind's type (the kubernetes-models packages for core kinds and the
 * operators' CRDs, test/support/cnpg-types.ts for CloudNativePG), checked by
 * `tsc`. Object literals get TypeScript's excess-property check at every
 * depth, so an unknown field (`readinesProbe`) fails as well as a wrong type
 * — which the JSON-schema validation of the models lets through, because the
 * Kubernetes OpenAPI schemas allow additional properties.
 */
const MODULES: Record<string, string> = {
  '': 'kubernetes-models',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
  'keda.sh': '@kubernetes-models/keda',
};

/** Checked with another version's type (same schema); see SCHEMA_ALIASES in scripts/validate-manifests.mjs. */
const ALIASES: Record<string, string> = { 'gateway.networking.k8s.io/v1 GRPCRoute': 'gateway.networking.k8s.io/v1alpha2' };

function typeOf(o: K8sObject): { from: string; name: string } {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  if (group === 'postgresql.cnpg.io') return { from: path.join(ROOT, 'test', 'support', 'cnpg-types'), name: `I${o.kind}` };
  return { from: `${MODULES[group!] ?? MODULES['']}/${group ? `${group}/` : ''}${version}/${o.kind}`, name: `I${o.kind}` };
}

export function strictProblems(objects: K8sObject[]): string[] {
  const dir = path.join(ROOT, 'node_modules', '.cache', 'tessera-strict');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `manifests-${process.pid}-${Date.now()}.ts`);
  const imports = new Map<string, string>();
  const lines: string[] = [];
  const owners: { from: number; to: number; what: string }[] = [];
  objects.forEach((original, i) => {
    const aliased = ALIASES[`${original.apiVersion} ${original.kind}`];
    const o = aliased ? { ...original, apiVersion: aliased } : original;
    const t = typeOf(o);
    const alias = `T${imports.size}`;
    if (!imports.has(`${t.from}#${t.name}`)) imports.set(`${t.from}#${t.name}`, alias);
    const body = JSON.stringify(o, null, 2).split('\n');
    owners.push({ from: lines.length + 1, to: lines.length + body.length, what: `${o.kind} ${o.metadata.name}` });
    lines.push(`export const o${i}: ${imports.get(`${t.from}#${t.name}`)} = ${body[0]}`, ...body.slice(1));
  });
  const header = [...imports].map(([key, alias]) => {
    const [from, name] = key.split('#');
    return `import type { ${name} as ${alias} } from '${from}';`;
  });
  writeFileSync(file, [...header, ...lines].join('\n'));
  try {
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', file], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const out = `${tsc.stdout}${tsc.stderr}`;
    const problems: string[] = [];
    for (const m of out.matchAll(/\((\d+),\d+\): error (TS\d+: .*)/g)) {
      const line = Number(m[1]) - header.length;
      const owner = owners.find((x) => line >= x.from && line <= x.to);
      problems.push(`${owner?.what ?? `line ${line}`}: ${m[2]}`);
    }
    if (tsc.status !== 0 && problems.length === 0) problems.push(out.slice(0, 2000));
    return problems;
  } finally {
    rmSync(file, { force: true });
  }
}
