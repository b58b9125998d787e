import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc CPU times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process, in seconds (undefined once it is gone). */
export function cpuSeconds(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Fields after the command (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Peak resident set size (VmHWM) in MB. */
export function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) / 1024 : 0;
}

/** `pid` and all its descendants (Linux /proc). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    for (const child of parents.get(p) ?? []) visit(child);
  };
  visit(pid);
  return out;
}

/** A short name for a process of the platform or a baseline, from its command line. */
export function labelOf(pid: number): string {
  const cmd = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ');
  const service = /services\/(\w+)\/(?:dist|src)\/main/.exec(cmd)?.[1];
  if (service) return service;
  if (/edge\/(dist|src)\/main/.test(cmd)) return 'edge';
  if (/postgres/.test(cmd)) return 'postgres';
  if (/redis-server/.test(cmd)) return 'redis';
  const baseline = /baselines\/([\w-]+)\.js(?: (\w+))?/.exec(cmd);
  if (baseline) return baseline[2] ? `${baseline[1]} ${baseline[2]}` : baseline[1]!;
  if (/runner\/cli/.test(cmd)) return 'runner';
  return 'other';
}

/** CPU seconds per label over a set of processes, read now. */
export function cpuByLabel(pids: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of pids) {
    const cpu = cpuSeconds(pid);
    if (cpu === undefined) continue;
    const label = labelOf(pid);
    out.set(label, (out.get(label) ?? 0) + cpu);
  }
  return out;
}
