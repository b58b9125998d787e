/**
 * The faults of the campaign: what each breaks, how it is healed, which
 * process exits are part of it (any other exit is a crash), the shard it is
 * confined to (errors elsewhere count against it), and how long its errors
 * may last past the fault.
 */
import { waitFor } from '@tessera/local-infra';
import type { Platform } from '../runner/platform';
import { portAnswers } from '../runner/supervisor';

export interface Fault {
  name: string;
  what: string;
  /** How long the fault lasts before it is healed (ms). */
  holdMs: number;
  /** Process exits that are the fault itself, not crashes. */
  exits: string[];
  /** Set when the fault must stay inside one shard: errors of the other shard's buyers count as spill. */
  shard?: string;
  /** Errors may go on this long after the heal before the fault counts as unbounded (ms). */
  settleMs: number;
  inject(p: Platform): Promise<void>;
  heal(p: Platform): Promise<void>;
}

const supervised = (p: Platform, name: string) => p.supervisor.status().find((s) => s.name === name)!;

/** Signals a supervised process, and heals by waiting for its successor (a new pid) to listen. */
function restarted(name: string, signal: NodeJS.Signals): Pick<Fault, 'inject' | 'heal'> {
  let pid: number | undefined;
  return {
    inject: async (p) => void (pid = p.supervisor.signal(name, signal)),
    heal: async (p) =>
      void (await waitFor(`${name} restarted and listening`, async () => {
        const now = supervised(p, name);
        return now.pid !== undefined && now.pid !== pid && (await portAnswers(now.port)) ? true : undefined;
      }, 60_000, 100)),
  };
}

function killed(name: string, holdMs: number): Fault {
  return { name: `kill -9 ${name}`, what: `SIGKILL ${name} mid-traffic; the supervisor restarts it`, holdMs, exits: [name], settleMs: 15_000, ...restarted(name, 'SIGKILL') };
}

export function allFaults(options: { short: boolean; redisCluster: boolean }): Fault[] {
  const hold = options.short ? 5_000 : 10_000;
  const faults: Fault[] = [
    killed('orders', hold),
    killed('payments', hold),
    {
      name: 'kill -STOP catalog-1',
      what: 'one of two catalog processes freezes (SIGSTOP): its connections stay open and hang',
      holdMs: hold,
      exits: [],
      settleMs: 12_000,
      inject: async (p) => void p.supervisor.signal('catalog-1', 'SIGSTOP'),
      heal: async (p) => void p.supervisor.signal('catalog-1', 'SIGCONT'),
    },
    {
      name: 'shard-b primary down',
      what: "shard-b's Postgres primary stops (fast shutdown) and starts again",
      holdMs: hold,
      exits: [],
      shard: 'shard-b',
      settleMs: 12_000,
      inject: (p) => p.postgres['shard-b']!.primary.stop(),
      heal: (p) => p.postgres['shard-b']!.primary.start(),
    },
    {
      name: 'shard-a replica down',
      what: "shard-a's streaming replica stops; reads go to the primary",
      holdMs: hold,
      exits: [],
      settleMs: 5_000,
      inject: (p) => p.postgres['shard-a']!.replicas[0]!.stop(),
      heal: (p) => p.postgres['shard-a']!.replicas[0]!.start(),
    },
    {
      name: 'Redis paused',
      what: 'every Redis node freezes (SIGSTOP): commands hang on open connections',
      holdMs: hold,
      exits: [],
      settleMs: 8_000,
      inject: async (p) => p.redis?.nodes.forEach((n) => n.pause()),
      heal: async (p) => p.redis?.nodes.forEach((n) => n.resume()),
    },
    ...(options.redisCluster
      ? [
          {
            name: 'Redis Cluster node lost',
            what: 'one of three Redis Cluster masters is unreachable past the 5 s node timeout (the cluster marks it failed), then returns',
            holdMs: Math.max(hold, 8_000),
            exits: [],
            settleMs: 10_000,
            inject: async (p: Platform) => p.redis!.nodes[1]!.pause(),
            heal: async (p: Platform) => p.redis!.nodes[1]!.resume(),
          } satisfies Fault,
        ]
      : []),
    {
      name: 'edge SIGTERM',
      what: 'the edge is told to stop under keep-alive load (a rolling update): it drains and the supervisor starts it again',
      holdMs: 0,
      exits: ['edge'],
      settleMs: 15_000,
      ...restarted('edge', 'SIGTERM'),
    },
  ];
  return options.short ? faults.filter((f) => ['kill -9 orders', 'shard-b primary down', 'edge SIGTERM', 'Redis paused'].includes(f.name)) : faults;
}
