import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { freePort } from '@tessera/local-infra';
import { until } from '@tessera/testing';
import { describeWithHelm, render } from './support/helm';


/**
 * The chart's Redis Cluster (its own redis.conf and start.sh from the rendered
 * ConfigMap) on loopback, one address per node as pods have: formed, filled,
 * then every node stopped and started again on new addresses, as a restart of
 * all pods gives them new IPs. Names resolve through a `getent` shim (the
 * headless Service's DNS in a cluster).
 */
describeWithHelm('the chart\'s Redis Cluster restarting on new addresses', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'tessera-redis-restart-'));
  const nodes = [0, 1, 2].map((i) => ({ name: `tessera-redis-${i}.tessera-redis.tessera.svc`, dir: path.join(work, `node-${i}`), port: 0, bus: 0 }));
  let children: ChildProcess[] = [];
  const hostsFile = path.join(work, 'hosts');
  const script = path.join(work, 'start.sh');
  const aclFile = path.join(work, 'users.acl');
  let admin = '';

  beforeAll(async () => {
    const { objects } = render();
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'tessera-redis')!;
    writeFileSync(script, config.data['start.sh']);
    // The ACL file and the default user's password, as the pods mount and read them.
    writeFileSync(aclFile, objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'tessera-redis-acl')!.stringData['users.acl']);
    admin = Buffer.from(objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'tessera-redis-admin')!.data.password, 'base64').toString();
    mkdirSync(path.join(work, 'bin'));
    // getent hosts NAME, answered from our hosts file (the cluster DNS of the headless Service).
    writeFileSync(path.join(work, 'bin', 'getent'), `#!/bin/sh\n[ "$1" = hosts ] && awk -v n="$2" '$2 == n { print $1 " " $2 }' ${hostsFile}\n`);
    chmodSync(path.join(work, 'bin', 'getent'), 0o755);
    for (const n of nodes) {
      mkdirSync(n.dir);
      // Each pod mounts its own volume at /data.
      writeFileSync(path.join(n.dir, 'redis.conf'), (config.data['redis.conf'] as string).replaceAll('/data', n.dir).replace('/etc/redis-acl/users.acl', aclFile));
      n.port = await freePort();
      n.bus = await freePort();
    }
  });

  afterAll(async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  /** Every node on 127.0.0.<base+i> (and 127.0.0.1 for its own redis-cli), as start.sh runs in the pod. */
  function startAll(base: number, peers: boolean): string[] {
    const ips = nodes.map((_, i) => `127.0.0.${base + i}`);
    writeFileSync(hostsFile, nodes.map((n, i) => `${ips[i]} ${n.name}`).join('\n'));
    children = nodes.map((n, i) =>
      // Its own address for the cluster bus both ways (as a pod has one), and 127.0.0.1 for start.sh's redis-cli.
      spawn('sh', [script, '--bind', ips[i]!, '127.0.0.1', '--bind-source-addr', ips[i]!, '--port', String(n.port), '--cluster-port', String(n.bus)], {
        env: { PATH: `${path.join(work, 'bin')}:${process.env.PATH}`, REDISCLI_AUTH: admin, REDIS_CONF: path.join(n.dir, 'redis.conf'), REDIS_PORT: String(n.port), ANNOUNCE_HOSTNAME: n.name, PEERS: peers ? nodes.map((p) => `${p.name}:${p.port}:${p.bus}`).join(' ') : '' },
        stdio: 'ignore',
      }),
    );
    return ips;
  }

  async function stopAll(): Promise<void> {
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => (c.once('exit', r), c.kill('SIGTERM'))))));
    children = [];
  }

  const state = async (n: (typeof nodes)[number]) => {
    const client = new Redis({ port: n.port, password: admin, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.connect();
      return /cluster_state:(\w+)/.exec((await client.call('CLUSTER', 'INFO')) as string)?.[1];
    } catch {
      return undefined;
    } finally {
      client.disconnect();
    }
  };
  /** What one node knows of its peers: the address it has for each and whether their link is up. */
  const peersOf = async (n: (typeof nodes)[number]) => {
    const client = new Redis({ port: n.port, password: admin, maxRetriesPerRequest: 0 });
    try {
      const lines = ((await client.call('CLUSTER', 'NODES')) as string).trim().split('\n').filter((l) => !l.includes('myself'));
      return lines.map((l) => {
        const f = l.split(' ');
        return `${f[1]!.split(':')[0]} ${f[7]}`;
      });
    } finally {
      client.disconnect();
    }
  };
  const cluster = (ips: string[]) => new Cluster([{ host: ips[0]!, port: nodes[0]!.port }], { natMap: Object.fromEntries(nodes.map((n, i) => [`${n.name}:${n.port}`, { host: ips[i]!, port: n.port }])), redisOptions: { maxRetriesPerRequest: 1, password: admin } });

  test('when every node restarts at once on a new address, then the cluster returns to ok by itself with its slots and keys (and without start.sh meeting the peers it would not)', async () => {
    // Form it the way the init Job does: slots split over the nodes, the nodes meet.
    let ips = startAll(10, false);
    await until('nodes up', async () => (await Promise.all(nodes.map(state))).every((s) => s !== undefined), 10_000, 100);
    for (const [i, n] of nodes.entries()) {
      const c = new Redis({ port: n.port, password: admin });
      await c.call('CLUSTER', 'ADDSLOTSRANGE', String(i * 5462), String(Math.min(16383, (i + 1) * 5462 - 1)));
      for (const [j, p] of nodes.entries()) if (j !== i) await c.call('CLUSTER', 'MEET', ips[j]!, String(p.port), String(p.bus));
      c.disconnect();
    }
    await until('cluster formed', async () => (await Promise.all(nodes.map(state))).every((s) => s === 'ok'), 20_000, 200);
    let client = cluster(ips);
    for (let k = 0; k < 200; k++) await client.set(`key:${k}`, String(k));
    client.disconnect();

    // All pods restart together and get new addresses; without meeting its peers no node can reach another:
    // each keeps its peers' old addresses and no cluster link comes up (in Kubernetes, where an old pod IP
    // does not refuse but goes nowhere, the nodes then mark each other failed).
    await stopAll();
    startAll(20, false);
    await new Promise((r) => setTimeout(r, 6_000));
    for (const n of nodes) expect(await peersOf(n)).toEqual([expect.stringMatching(/^127\.0\.0\.1\d disconnected$/), expect.stringMatching(/^127\.0\.0\.1\d disconnected$/)]);

    // With start.sh meeting the peers at their current addresses (as in the chart): every link up at the new
    // addresses, the cluster ok, every key there.
    await stopAll();
    ips = startAll(30, true);
    await until('every node linked to every peer at its new address', async () => (await Promise.all(nodes.map(peersOf))).flat().every((p) => /^127\.0\.0\.3\d connected$/.test(p)), 30_000, 200);
    // Failure flags a node set while alone clear once the peers answer again (Redis waits twice the node timeout).
    await until('cluster ok again', async () => (await Promise.all(nodes.map(state))).every((x) => x === 'ok'), 40_000, 200);
    client = cluster(ips);
    try {
      const values = await Promise.all(Array.from({ length: 200 }, (_, k) => client.get(`key:${k}`)));
      expect(values).toEqual(Array.from({ length: 200 }, (_, k) => String(k)));
    } finally {
      client.disconnect();
    }
  }, 120_000);
});
