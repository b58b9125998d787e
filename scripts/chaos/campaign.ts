/**
 * The fault campaign: each fault under a bounded load, then malformed input
 * and overload, then reconciliation against the databases. What it returns
 * is the report; `violations` lists every broken invariant (the command exits
 * non-zero when there is one).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { documentedOperations, malformedRequests, nulRequests } from '@tessera/testing';
import { percentile } from '../percentile';
import type { Platform } from '../runner/platform';
import type { Fault } from './faults';
import { reconcile, type Reconciliation } from './reconcile';
import { call, drive, type Op, type World } from './workload';

export interface FaultRow {
  fault: string;
  what: string;
  ok: number;
  fail: number;
  indeterminate: number;
  /** First error to last error, ms (0: none). */
  errorWindowMs: number;
  /** Errors may not outlast the heal by more than this. */
  boundMs: number;
  /** Latency of the operations started while the fault held, p99 ms: all, and per kind of operation. */
  p99DuringMs: number;
  p99DuringByKind: Record<string, number>;
  /** Heal to the last error, ms (0: no error after the heal). */
  recoverMs: number;
  /** Errors of buyers on the other shard (for faults confined to one). */
  spill: number;
  /** Process exits that were not the fault itself. */
  crashes: string[];
  /** For the edge's drain: requests that failed other than by a refused connection while it was down. */
  drainErrors?: number;
  refused?: number;
  /** Requests sent again once after their connection was reset before any answer (the HTTP/1.1 keep-alive race). */
  retriedAfterReset: number;
  lost: number;
  duplicates: number;
  /** What the errors were: HTTP status or network error, with counts. */
  errorKinds: Record<string, number>;
}

export interface BadInputRow {
  requests: number;
  serverErrors: string[];
  notProblemJson: string[];
}

export interface OverloadRow {
  connections: number;
  peakConnections: number;
  peakGoodput: number;
  goodput: number;
  accepted: number;
  shed: number;
  otherErrors: number;
  p99AcceptedMs: number;
  budgetMs: number;
}

export interface ChaosReport {
  faults: FaultRow[];
  badInput: BadInputRow;
  overload?: OverloadRow;
  reconciliation: Omit<Reconciliation, 'lost' | 'divergent' | 'unresolved'> & { lost: number; divergent: number; unresolved: number };
  violations: string[];
}

const p99 = (values: number[]) => percentile([...values].sort((a, b) => a - b), 0.99);
const isError = (o: Op) => o.outcome !== 'ok';
const kinds = (ops: Op[]) => ops.reduce<Record<string, number>>((acc, o) => {
  const kind = `${o.kind} ${o.status || o.error}`;
  acc[kind] = (acc[kind] ?? 0) + 1;
  return acc;
}, {});
const REQUEST_BUDGET_MS = 10_000;

export interface CampaignOptions {
  faults: Fault[];
  connections: number;
  /** Load before each fault and after its heal (ms). */
  leadMs: number;
  trailMs: number;
  badInputRuns: number;
  overload?: { startConnections: number; maxConnections: number; stepMs: number; factor: number; durationMs: number };
  log: (line: string) => void;
}

async function runFault(platform: Platform, world: World, fault: Fault, options: CampaignOptions, ops: Op[]): Promise<Omit<FaultRow, 'lost' | 'duplicates'> & { ops: Op[] }> {
  const mine: Op[] = [];
  let done = false;
  const load = drive(world, options.connections, () => done, (op) => mine.push(op));
  const exitsBefore = platform.supervisor.exits.length;
  await sleep(options.leadMs);
  const injectedAt = Date.now();
  await fault.inject(platform);
  await sleep(fault.holdMs);
  await fault.heal(platform);
  const healedAt = Date.now();
  await sleep(options.trailMs);
  done = true;
  await load;
  ops.push(...mine);

  const errors = mine.filter(isError);
  const refused = fault.exits.includes('edge') ? errors.filter((o) => o.error === 'ECONNREFUSED') : [];
  const counted = errors.filter((o) => !refused.includes(o));
  const crashes = platform.supervisor.exits.slice(exitsBefore).filter((e) => !fault.exits.includes(e.name)).map((e) => `${e.name} (${e.signal ?? `code ${e.code}`})`);
  const spill = fault.shard ? errors.filter((o) => o.cluster !== fault.shard || o.kind === 'read-product').length : 0;
  const lastError = Math.max(0, ...errors.map((o) => o.endedAt));
  const during = mine.filter((o) => o.startedAt >= injectedAt && o.startedAt <= healedAt);
  return {
    fault: fault.name,
    what: fault.what,
    ok: mine.filter((o) => o.outcome === 'ok').length,
    fail: mine.filter((o) => o.outcome === 'fail').length,
    indeterminate: mine.filter((o) => o.outcome === 'indeterminate').length,
    errorWindowMs: errors.length ? lastError - Math.min(...errors.map((o) => o.startedAt)) : 0,
    boundMs: fault.holdMs + fault.settleMs,
    p99DuringMs: p99(during.map((o) => o.endedAt - o.startedAt)),
    p99DuringByKind: Object.fromEntries(['order', 'read-order', 'read-product'].map((k) => [k, p99(during.filter((o) => o.kind === k).map((o) => o.endedAt - o.startedAt))])),
    recoverMs: errors.length ? Math.max(0, lastError - healedAt) : 0,
    spill,
    crashes,
    ...(fault.exits.includes('edge') ? { drainErrors: counted.length, refused: refused.length } : {}),
    errorKinds: kinds(errors),
    retriedAfterReset: mine.filter((o) => o.retried).length,
    ops: mine,
  };
}

/** Malformed requests of every documented operation against the edge: none may get a 5xx or a non-problem+json error. */
async function badInput(world: World, runs: number): Promise<BadInputRow> {
  const operations = await documentedOperations(world.base);
  const token = world.buyers[0]!.token;
  const requests = [...nulRequests(operations), ...fc.sample(malformedRequests(operations), runs)];
  const serverErrors: string[] = [];
  const notProblemJson: string[] = [];
  for (const r of requests) {
    const res = await fetch(`${world.base}${r.path}`, {
      method: r.method,
      headers: { ...(r.signedIn ? { authorization: `Bearer ${token}` } : {}), ...(r.raw === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(r.raw === undefined ? {} : { body: r.raw }),
    }).catch(() => undefined);
    const what = `${r.method} ${r.path.slice(0, 120)} → ${res?.status ?? 'no answer'}`;
    if (!res || res.status >= 500) serverErrors.push(what);
    else if (res.status >= 400 && !/application\/problem\+json/.test(res.headers.get('content-type') ?? '')) notProblemJson.push(what);
    await res?.arrayBuffer();
  }
  const big = await fetch(`${world.base}/api/v2/products`, { headers: { 'x-filler': 'x'.repeat(20_000) } });
  if (!/application\/problem\+json/.test(big.headers.get('content-type') ?? '')) notProblemJson.push(`20 kB header → ${big.status}`);
  return { requests: requests.length + 1, serverErrors, notProblemJson };
}

/**
 * Overload: the same mix, first ramped (doubling the connections until
 * goodput falls clearly below the best so far) to find the platform's peak and the
 * connections that reach it, then at `factor` times those connections: what
 * is shed, what the accepted requests get, and how much good work is done.
 */
async function overload(world: World, o: NonNullable<CampaignOptions['overload']>, ops: Op[], log: (line: string) => void): Promise<OverloadRow> {
  const phase = async (connections: number, ms: number) => {
    const out: Op[] = [];
    const until = Date.now() + ms;
    await drive(world, connections, () => Date.now() >= until, (op) => out.push(op));
    ops.push(...out);
    return out;
  };
  const goodput = (list: Op[], ms: number) => list.filter((x) => x.outcome === 'ok').length / (ms / 1000);
  let peak = { connections: o.startConnections, goodput: 0 };
  for (let connections = o.startConnections; connections <= o.maxConnections; connections *= 2) {
    const g = goodput(await phase(connections, o.stepMs), o.stepMs);
    log(`  ${connections} connections: ${Math.round(g)} ok/s`);
    if (g > peak.goodput) peak = { connections, goodput: g };
    // Past the knee: more connections only queue (a single dip within 10% is this machine's noise).
    else if (g < peak.goodput * 0.9) break;
  }
  const connections = peak.connections * o.factor;
  log(`  overload at ${connections} connections`);
  const over = await phase(connections, o.durationMs);
  return {
    connections,
    peakConnections: peak.connections,
    peakGoodput: Math.round(peak.goodput),
    goodput: Math.round(goodput(over, o.durationMs)),
    accepted: over.filter((x) => x.outcome === 'ok').length,
    shed: over.filter((x) => x.shed).length,
    otherErrors: over.filter((x) => x.outcome !== 'ok' && !x.shed).length,
    p99AcceptedMs: p99(over.filter((x) => x.outcome === 'ok').map((x) => x.endedAt - x.startedAt)),
    budgetMs: REQUEST_BUDGET_MS,
  };
}

export async function runCampaign(platform: Platform, world: World, options: CampaignOptions): Promise<ChaosReport> {
  const ops: Op[] = [];
  const rows: (Omit<FaultRow, 'lost' | 'duplicates'> & { ops: Op[] })[] = [];
  for (const fault of options.faults) {
    options.log(`fault: ${fault.name} (${fault.what})`);
    rows.push(await runFault(platform, world, fault, options, ops));
    const last = rows.at(-1)!;
    options.log(`  ok ${last.ok}, fail ${last.fail}, indeterminate ${last.indeterminate}, error window ${(last.errorWindowMs / 1000).toFixed(1)} s`);
  }
  options.log('malformed input against every documented operation');
  const exitsBefore = platform.supervisor.exits.length;
  const bad = await badInput(world, options.badInputRuns);
  const badCrashes = platform.supervisor.exits.slice(exitsBefore).map((e) => e.name);
  let over: OverloadRow | undefined;
  if (options.overload) {
    options.log(`overload: connections doubled from ${options.overload.startConnections} to the peak, then ${options.overload.factor}× that`);
    over = await overload(world, options.overload, ops, options.log);
  }
  const overloadCrashes = platform.supervisor.exits.slice(exitsBefore).map((e) => e.name).filter((n) => !badCrashes.includes(n));
  options.log('reconciling every acknowledged and indeterminate write against the databases');
  const rec = await reconcile(platform, world, ops, 60_000);

  const faults: FaultRow[] = rows.map(({ ops: mine, ...row }) => {
    const keys = new Set(mine.map((o) => o.key).filter(Boolean));
    return { ...row, lost: rec.lost.filter((o) => keys.has(o.key)).length, duplicates: rec.divergent.filter((o) => keys.has(o.key)).length };
  });
  const violations: string[] = [];
  for (const f of faults) {
    if (f.crashes.length) violations.push(`${f.fault}: processes crashed: ${f.crashes.join(', ')}`);
    if (f.errorWindowMs > f.boundMs || f.recoverMs > f.boundMs) violations.push(`${f.fault}: errors lasted ${f.errorWindowMs} ms (bound ${f.boundMs} ms)`);
    if (f.spill) violations.push(`${f.fault}: ${f.spill} errors outside ${f.fault.split(' ')[0]}`);
    if (f.drainErrors) violations.push(`${f.fault}: ${f.drainErrors} requests failed during the drain`);
  }
  if (bad.serverErrors.length) violations.push(`malformed input: ${bad.serverErrors.length} answers were 5xx (e.g. ${bad.serverErrors[0]})`);
  if (bad.notProblemJson.length) violations.push(`malformed input: ${bad.notProblemJson.length} errors were not problem+json (e.g. ${bad.notProblemJson[0]})`);
  if (badCrashes.length || overloadCrashes.length) violations.push(`processes crashed under malformed input or overload: ${[...badCrashes, ...overloadCrashes].join(', ')}`);
  if (over) {
    if (over.p99AcceptedMs > over.budgetMs) violations.push(`overload: accepted requests' p99 ${over.p99AcceptedMs} ms is past the ${over.budgetMs} ms budget`);
    if (over.goodput < 0.8 * over.peakGoodput) violations.push(`overload: goodput ${over.goodput}/s is under 80% of the peak ${over.peakGoodput}/s`);
    if (over.otherErrors) violations.push(`overload: ${over.otherErrors} errors other than shedding`);
  }
  if (rec.lost.length) violations.push(`${rec.lost.length} acknowledged orders lost or gone back`);
  if (rec.duplicates.length) violations.push(`duplicates: ${rec.duplicates.slice(0, 3).join('; ')}`);
  if (rec.divergent.length) violations.push(`${rec.divergent.length} retried writes named another order than their key holds`);
  if (rec.unresolved.length) violations.push(`${rec.unresolved.length} indeterminate writes still had no answer after 60 s of retries`);
  if (rec.stuckPending.length) violations.push(`${rec.stuckPending.length} orders still pending`);
  if (rec.inconsistencies.length) violations.push(`money or stock inconsistent: ${rec.inconsistencies.slice(0, 3).join('; ')}`);

  return {
    faults,
    badInput: bad,
    ...(over ? { overload: over } : {}),
    reconciliation: { ...rec, lost: rec.lost.length, divergent: rec.divergent.length, unresolved: rec.unresolved.length },
    violations,
  };
}

/** The report as Markdown: one row per fault, then malformed input, overload and the reconciliation. */
export function formatReport(r: ChaosReport): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const lines = [
    '| fault | ok | fail | indeterminate | lost | duplicated | crashes | error window s (bound) | p99 during fault ms | recovered after heal s | other shard errors | drain errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.faults.map(
      (f) =>
        `| ${f.fault} | ${f.ok} | ${f.fail} | ${f.indeterminate} | ${f.lost} | ${f.duplicates} | ${f.crashes.length} | ${s(f.errorWindowMs)} (${s(f.boundMs)}) | ${f.p99DuringMs} | ${s(f.recoverMs)} | ${f.spill} | ${f.drainErrors === undefined ? '' : `${f.drainErrors} (${f.refused} refused while down, ${f.retriedAfterReset} retried after a reset)`} |`,
    ),
    '',
    `Malformed input: ${r.badInput.requests} requests over every documented operation, ${r.badInput.serverErrors.length} answered 5xx, ${r.badInput.notProblemJson.length} errors not problem+json.`,
  ];
  if (r.overload) {
    const o = r.overload;
    lines.push(
      '',
      `Overload: ${o.peakConnections} → ${o.connections} connections: goodput ${o.goodput}/s vs ${o.peakGoodput}/s at ${o.peakConnections} (${Math.round((100 * o.goodput) / Math.max(1, o.peakGoodput))}%), ${o.shed} shed (503 + Retry-After), ${o.otherErrors} other errors, accepted p99 ${o.p99AcceptedMs} ms (budget ${o.budgetMs} ms).`,
    );
  }
  const c = r.reconciliation;
  lines.push(
    '',
    `Reconciliation: ${c.orders} orders; ${c.lost} acknowledged lost, ${c.duplicates.length} duplicated, ${c.divergent} retries diverged, ${c.unresolved} unresolved, ${c.stuckPending.length} stuck pending, ${c.inconsistencies.length} money/stock inconsistencies.`,
    '',
    r.violations.length ? `VIOLATIONS (${r.violations.length}):\n${r.violations.map((v) => `- ${v}`).join('\n')}` : 'No invariant broken.',
  );
  return lines.join('\n');
}
