import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code comes from: a package, node's internals, or our own file. */
function origin(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return url;
  if (!url) return '(native, GC, idle)';
  return path.relative(process.cwd(), url.replace(/^file:\/\//, ''));
}

/** Self time by function and by origin, from the V8 profiles the runner wrote (TESSERA_PROFILE). */
export function summarizeProfiles(dir: string, top = 20): string {
  if (!existsSync(dir)) return `no profiles in ${dir}`;
  const out: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
    const busy = total - idle;
    const byFunction = new Map<string, number>();
    const byOrigin = new Map<string, number>();
    for (const [id, t] of self) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(idle)') continue;
      const key = `${frame.functionName || '(anonymous)'} ${origin(frame.url)}:${frame.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + t);
      byOrigin.set(origin(frame.url), (byOrigin.get(origin(frame.url)) ?? 0) + t);
    }
    const pct = (t: number) => `${((100 * t) / busy).toFixed(1)}%`;
    out.push(`\n### ${file}: ${(busy / 1e6).toFixed(1)} s busy of ${(total / 1e6).toFixed(1)} s\n`);
    out.push('self time by origin:');
    for (const [o, t] of [...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, 15)) out.push(`  ${pct(t).padStart(6)}  ${o}`);
    out.push('self time by function:');
    for (const [f, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${pct(t).padStart(6)}  ${f}`);
  }
  return out.join('\n');
}
