// Validates rendered Kubernetes manifests (multi-document YAML on stdin)
// against the Kubernetes schemas of the kubernetes-models packages, and
// CloudNativePG objects (no published models) against their required fields.
// Prints one JSON line per object and exits 1 when any is invalid. ESM only,
// like the models, so the Jest tests run it as a child process.
import { parseAllDocuments } from 'yaml';

const crdModules = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
  'keda.sh': '@kubernetes-models/keda',
};

const cnpg = {
  Cluster: (o) => [Number.isInteger(o.spec?.instances) && o.spec.instances >= 1 ? null : 'spec.instances must be a positive integer', o.spec?.storage?.size ? null : 'spec.storage.size is required'],
  Database: (o) => [o.spec?.name ? null : 'spec.name is required', o.spec?.owner ? null : 'spec.owner is required', o.spec?.cluster?.name ? null : 'spec.cluster.name is required'],
  Pooler: (o) => [o.spec?.cluster?.name ? null : 'spec.cluster.name is required', ['rw', 'ro', 'r'].includes(o.spec?.type) ? null : 'spec.type must be rw, ro or r', ['session', 'transaction'].includes(o.spec?.pgbouncer?.poolMode) ? null : 'spec.pgbouncer.poolMode must be session or transaction'],
};

// GRPCRoute went GA (v1) in Gateway API 1.1 with the v1alpha2 schema unchanged; the models package has
// v1 GRPCRoute only in its ESM-only major for Node 22, so v1 GRPCRoutes are checked with the v1alpha2 model.
export const SCHEMA_ALIASES = { 'gateway.networking.k8s.io/v1 GRPCRoute': 'gateway.networking.k8s.io/v1alpha2' };

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = crdModules[group];
  const specifier = pkg ? `${pkg}/${group}/${version}` : `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  const mod = await import(specifier);
  if (!mod[kind]) throw new Error(`no model for ${apiVersion} ${kind}`);
  return mod[kind];
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
let failed = 0;
for (const doc of parseAllDocuments(input)) {
  const obj = doc.toJS();
  if (!obj) continue;
  const id = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name };
  const problems = [];
  try {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) problems.push('apiVersion, kind and metadata.name are required');
    else if (obj.apiVersion === 'postgresql.cnpg.io/v1') {
      const check = cnpg[obj.kind];
      if (!check) problems.push(`unknown CloudNativePG kind ${obj.kind}`);
      else problems.push(...check(obj).filter(Boolean));
    } else {
      const alias = SCHEMA_ALIASES[`${obj.apiVersion} ${obj.kind}`];
      const Model = await modelFor(alias ?? obj.apiVersion, obj.kind);
      new Model(alias ? { ...obj, apiVersion: alias } : obj).validate();
    }
  } catch (error) {
    problems.push(String(error.message ?? error).slice(0, 2000));
  }
  if (problems.length) failed++;
  process.stdout.write(`${JSON.stringify({ ...id, ok: problems.length === 0, problems })}\n`);
}
process.exit(failed ? 1 : 0);
