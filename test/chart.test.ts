import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadRedisAcl, peerEnv, redisAclRules, SERVICE_NAMES, usesRedis, type ServiceName } from '@tessera/local-infra';
import { CHART, describeWithHelm, helm, HELM_SUPPORTED, OPERATOR_APIS, render, ROOT, validate, type K8sObject } from './support/helm';
import { strictProblems } from './support/strict-manifests';
import { prefixOf } from '../monolith/src/prefix';


const profiles: Record<string, string[]> = {
  default: [],
  kind: [path.join(CHART, 'ci', 'kind-values.yaml')],
  minikube: [path.join(CHART, 'ci', 'minikube-values.yaml')],
  'gateway-api': [path.join(CHART, 'ci', 'gateway-api-values.yaml')],
  keda: [path.join(CHART, 'ci', 'keda-values.yaml')],
  small: [path.join(CHART, 'ci', 'small-values.yaml')],
  monolith: [path.join(CHART, 'ci', 'monolith-values.yaml')],
};

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const podSpecOf = (o: K8sObject) => (o.kind === 'Pod' ? o.spec : o.spec?.template?.spec);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describeWithHelm('helm chart', () => {
  test.each(Object.entries(profiles))('when linted strictly with the %s values, then helm finds nothing', (_name, files) => {
    const { status, stdout, stderr } = helm(['lint', '--strict', CHART, ...files.flatMap((f) => ['-f', f])]);
    expect(`${stdout}${stderr}`).toContain('0 chart(s) failed');
    expect(status).toBe(0);
  });

  test.each(Object.entries(profiles))('when rendered with the %s values, then every object passes its Kubernetes schema', (_name, files) => {
    const { yaml, objects } = render(files);
    const { status, results } = validate(yaml);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(status).toBe(0);
    expect(results).toHaveLength(objects.length);
  });

  test('when every profile, every values file and the pooler mode render, then every object passes the strict check (no unknown field, no wrong type, CloudNativePG objects included)', () => {
    const renders = [
      ...Object.values(profiles).map((files) => render(files).objects),
      render([path.join(CHART, 'ci', 'monitoring-values.yaml')]).objects,
      render([], ['postgres.connectVia=pooler']).objects,
      render(profiles.monolith!, ['tracing.otlpEndpoint=http://otel-collector.observability:4318']).objects,
    ];
    expect(strictProblems(renders.flat())).toEqual([]);
  });

  test.each([
    ['a Deployment container', (o: K8sObject[]) => (podSpecOf(o.find((x) => x.kind === 'Deployment')!).containers[0].readinesProbe = { httpGet: { path: '/readyz', port: 8080 } }), /readinesProbe/],
    ['a CloudNativePG Cluster', (o: K8sObject[]) => (o.find((x) => x.kind === 'Cluster')!.spec.primaryUpdateStrateg = 'unsupervised'), /primaryUpdateStrateg/],
    ['a Cluster bootstrap', (o: K8sObject[]) => (o.find((x) => x.kind === 'Cluster')!.spec.bootstrap.initdbb = { database: 'app' }), /initdbb/],
    ['a Pooler', (o: K8sObject[]) => (o.find((x) => x.kind === 'Pooler')!.spec.pgbouncer.poolmode = 'session'), /poolmode/],
    ['a ServiceMonitor', (o: K8sObject[]) => (o.find((x) => x.kind === 'ServiceMonitor')!.spec.endpoint = []), /endpoint/],
    ['a NetworkPolicy', (o: K8sObject[]) => (o.find((x) => x.kind === 'NetworkPolicy')!.spec.polcyTypes = ['Ingress']), /polcyTypes/],
  ])('when %s has a misspelled field, then the strict check names it', (_what, misspell, field) => {
    const { objects } = render([], ['postgres.connectVia=pooler']);
    misspell(objects);
    const problems = strictProblems(objects);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(field);
  });

  test('when an object breaks its schema, then the validator says so', () => {
    const bad = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: broken }\nspec: { replicas: "two", selector: {}, template: {} }\n';
    const { status, results } = validate(bad);
    expect(status).toBe(1);
    expect(results[0]!.ok).toBe(false);
  });

  describe('invariants of the default render', () => {
    const { objects } = HELM_SUPPORTED ? render() : { objects: [] as K8sObject[] };
    const deployments = ofKind(objects, 'Deployment');

    test('when deployments render, then there is one per service', () => {
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['tessera-catalog', 'tessera-edge', 'tessera-notifications', 'tessera-orders', 'tessera-payments', 'tessera-users']);
    });

    test('when a Deployment renders, then it has probes (gRPC for services, HTTP for the edge), resources, a restricted securityContext, its own ServiceAccount and a config checksum', () => {
      const accounts = new Set(ofKind(objects, 'ServiceAccount').map((s) => s.metadata.name));
      for (const d of deployments) {
        const pod = podSpecOf(d);
        expect(pod.serviceAccountName).toBe(d.metadata.name);
        expect(accounts.has(pod.serviceAccountName)).toBe(true);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(d.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
        const edge = d.metadata.name === 'tessera-edge';
        for (const c of pod.containers) {
          if (edge) {
            expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
            expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
          } else {
            expect(c.readinessProbe?.grpc?.port).toBeDefined();
            expect(c.livenessProbe?.grpc?.service).toBe('liveness');
          }
          expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
          expect(c.resources.limits).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
          expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
          expect(c.lifecycle?.preStop).toBeDefined();
          expect(c.ports.map((p: { name: string }) => p.name)).toEqual(edge ? ['http', 'grpc', 'metrics'] : ['grpc', 'metrics']);
        }
      }
    });

    test("when a service's Service exposes gRPC, then it is headless (clients balance per call); the edge's public gRPC port sits behind a ClusterIP for the proxy", () => {
      const grpc = ofKind(objects, 'Service').filter((s) => s.spec.ports.some((p: { name: string }) => p.name === 'grpc'));
      expect(grpc).toHaveLength(6);
      for (const s of grpc.filter((s) => s.metadata.name !== 'tessera-edge')) expect(s.spec.clusterIP).toBe('None');
      const edge = grpc.find((s) => s.metadata.name === 'tessera-edge')!;
      expect(edge.spec.clusterIP).toBeUndefined();
      expect(edge.spec.ports.find((p: { name: string }) => p.name === 'grpc')).toMatchObject({ port: 50050, appProtocol: 'kubernetes.io/h2c' });
    });

    test('when the public gRPC API renders with ingress-nginx, then its own Ingress speaks GRPC to the edge over TLS (a generated certificate when none is given)', () => {
      const ingress = ofKind(objects, 'Ingress').find((i) => i.metadata.annotations?.['nginx.ingress.kubernetes.io/backend-protocol'] === 'GRPC')!;
      expect(ingress.spec.rules[0]).toMatchObject({ host: 'grpc.tessera.localtest.me', http: { paths: [{ backend: { service: { name: 'tessera-edge', port: { name: 'grpc' } } } }] } });
      const secret = ofKind(objects, 'Secret').find((s) => s.metadata.name === ingress.spec.tls[0].secretName)!;
      expect(secret.type).toBe('kubernetes.io/tls');
      const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
      expect(cert.subjectAltName).toContain('DNS:grpc.tessera.localtest.me');
    });

    test('when processes render, then each holds only its own service key and trusts every process certificate, and the keys match the certificates', () => {
      const trust = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name === 'tessera-service-trust')!;
      expect(Object.keys(trust.data).sort()).toEqual(['catalog.pem', 'edge.pem', 'notifications.pem', 'orders.pem', 'payments.pem', 'users.pem']);
      for (const d of ofKind(objects, 'Deployment')) {
        const name = d.metadata.name.replace(/^tessera-/, '');
        const container = d.spec.template.spec.containers[0];
        const keyRefs = container.env.filter((e: { valueFrom?: { secretKeyRef?: { name: string } } }) => e.valueFrom?.secretKeyRef?.name.endsWith('-identity'));
        expect(keyRefs.map((e: { name: string; valueFrom: { secretKeyRef: { name: string } } }) => `${e.name}=${e.valueFrom.secretKeyRef.name}`)).toEqual([`SERVICE_KEY=tessera-${name}-identity`]);
        expect(container.volumeMounts).toContainEqual({ name: 'service-trust', mountPath: '/etc/tessera-trust', readOnly: true });
        // The migrate init container gets no key.
        for (const init of d.spec.template.spec.initContainers ?? []) expect(JSON.stringify(init.env)).not.toContain('-identity');
        const secret = ofKind(objects, 'Secret').find((s) => s.metadata.name === `tessera-${name}-identity`)!;
        const key = createPrivateKey(Buffer.from(secret.data['key.pem'], 'base64').toString());
        expect(createPublicKey(key).export({ format: 'der', type: 'spki' })).toEqual(createPublicKey(trust.data[`${name}.pem`]).export({ format: 'der', type: 'spki' }));
      }
    });

    test('when the edge renders, then the Ingress routes to it, it trusts one proxy hop for X-Forwarded-For, and it accepts tokens no longer-lived than users issues', () => {
      const ingress = ofKind(objects, 'Ingress')[0]!;
      expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'tessera-edge', port: { name: 'http' } });
      expect(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/limit-rps']).toBeDefined();
      const edge = podSpecOf(deployments.find((d) => d.metadata.name === 'tessera-edge')!).containers[0];
      expect(edge.env).toEqual(expect.arrayContaining([{ name: 'TRUST_PROXY', value: '1' }, { name: 'ORDERS_TARGET', value: 'dns:///tessera-orders:50053' }]));
      const users = podSpecOf(deployments.find((d) => d.metadata.name === 'tessera-users')!).containers[0];
      const ttl = users.env.find((e: { name: string }) => e.name === 'ACCESS_TOKEN_TTL_S').value;
      expect(edge.env).toEqual(expect.arrayContaining([{ name: 'JWT_MAX_AGE_S', value: ttl }]));
    });

    test('when a Deployment renders, then an HPA scales it and a PDB protects it', () => {
      for (const d of deployments) {
        expect(ofKind(objects, 'HorizontalPodAutoscaler').filter((h) => h.spec.scaleTargetRef.name === d.metadata.name && h.spec.scaleTargetRef.kind === 'Deployment')).toHaveLength(1);
        expect(ofKind(objects, 'PodDisruptionBudget').filter((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels))).toHaveLength(1);
      }
    });

    test('when any profile renders, then no disruption budget can block a node drain: one Deployment pod may always go, and a one-instance Postgres cluster has no CloudNativePG budget', () => {
      for (const file of ['', 'ci/kind-values.yaml', 'ci/minikube-values.yaml', 'ci/small-values.yaml']) {
        const rendered = render(file ? [path.join(CHART, file)] : []).objects;
        for (const pdb of ofKind(rendered, 'PodDisruptionBudget')) {
          expect(`${file} ${pdb.metadata.name}: ${JSON.stringify(pdb.spec.maxUnavailable)} ${JSON.stringify(pdb.spec.minAvailable)}`).toBe(`${file} ${pdb.metadata.name}: 1 undefined`);
        }
        for (const c of rendered.filter((o) => o.kind === 'Cluster' && o.apiVersion === 'postgresql.cnpg.io/v1')) {
          expect(`${file} ${c.metadata.name}: ${c.spec.instances} ${c.spec.enablePDB}`).toBe(`${file} ${c.metadata.name}: ${c.spec.instances} ${c.spec.instances > 1}`);
        }
      }
      const refused = helm(['template', 'tessera', CHART, '--set', 'pdb.maxUnavailable=0']);
      expect(refused.status).not.toBe(0);
    });

    test('when network policies render, then a default deny covers every pod and every other policy names its peers', () => {
      const policies = ofKind(objects, 'NetworkPolicy');
      const deny = policies.find((p) => p.metadata.name === 'tessera-default-deny')!;
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      for (const p of policies.filter((x) => x !== deny)) {
        for (const rule of [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]) {
          const peers = rule.from ?? rule.to;
          expect(Array.isArray(peers) && peers.length > 0).toBe(true);
        }
      }
      // Each service's callers are exactly the processes that call it or push events to it in the topology.
      const catalogFlows = policies.find((p) => p.metadata.name === 'tessera-catalog-flows')!;
      expect(catalogFlows.spec.ingress[0].from.map((f: { podSelector: { matchLabels: Record<string, string> } }) => f.podSelector.matchLabels['app.kubernetes.io/name'])).toEqual(['orders', 'edge']);
    });

    test('when services connect to Postgres directly (the default), then no Pooler is rendered; through the Poolers, every cluster has rw and ro ones their URLs name; fewer than 3 Redis nodes are refused', () => {
      expect(objects.filter((o) => o.kind === 'Pooler')).toEqual([]);
      const pooled = render([], ['postgres.connectVia=pooler']).objects;
      const poolers = pooled.filter((o) => o.kind === 'Pooler').map((o) => o.metadata.name);
      expect(poolers.sort()).toEqual(['catalog', 'shard-a', 'shard-b'].flatMap((c) => [`tessera-pg-${c}-pooler-ro`, `tessera-pg-${c}-pooler-rw`]).sort());
      const urls = ofKind(pooled, 'Deployment').flatMap((d) => (podSpecOf(d).containers[0].env as { name: string; value?: string }[]).filter((e) => e.name === 'DATABASE_CLUSTERS').flatMap((e) => JSON.parse(e.value!) as { primary: string; replicas: string[] }[]));
      const hosts = new Set(urls.flatMap((u) => [u.primary, ...u.replicas]).map((u) => new URL(u.replace('$(DB_PASSWORD)', 'x')).hostname));
      for (const host of hosts) expect(poolers).toContain(host);
      expect(helm(['template', 'tessera', CHART, '--set', 'redis.nodes=2']).status).not.toBe(0);
    });

    test('when services scale to their ceiling, then each Pooler pools enough per database and each Postgres accepts every pod\'s pool', () => {
      const rendered = render([], ['autoscaling.maxReplicas=12', 'postgres.poolMaxPerPod=15', 'postgres.connectVia=pooler']).objects;
      const perPod = 15 + 2; // its pool, the outbox relay's session, the migrate init container
      const poolers = rendered.filter((o) => o.kind === 'Pooler');
      expect(poolers.length).toBeGreaterThan(0);
      for (const p of poolers) expect(Number(p.spec.pgbouncer.parameters.default_pool_size)).toBeGreaterThanOrEqual(12 * perPod);
      const shard = rendered.find((o) => o.kind === 'Cluster' && o.metadata.name === 'tessera-pg-shard-a')!;
      // users, orders, payments and notifications on every shard.
      expect(Number(shard.spec.postgresql.parameters.max_connections)).toBeGreaterThanOrEqual(4 * 12 * perPod);
      const orders = podSpecOf(ofKind(rendered, 'Deployment').find((d) => d.metadata.name === 'tessera-orders')!).containers[0].env as { name: string; value?: string }[];
      expect(orders.find((e) => e.name === 'DATABASE_POOL_MAX')!.value).toBe('15');
    });

    test('when webhooks may use http and private addresses (kind, minikube), then the notifications policy lets them out; by default only HTTPS to public addresses', () => {
      const egressOf = (objs: K8sObject[]) => objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'tessera-notifications-flows')!.spec.egress as { to: { ipBlock?: { cidr: string; except?: string[] } }[]; ports?: { port: number }[] }[];
      const ipRules = (objs: K8sObject[]) => egressOf(objs).filter((r) => r.to.some((t) => t.ipBlock)).map((r) => ({ cidrs: r.to.map((t) => t.ipBlock!.cidr), ports: r.ports?.map((p) => p.port) }));
      expect(ipRules(objects)).toEqual([{ cidrs: ['0.0.0.0/0'], ports: [443] }]);
      const kind = render([path.join(CHART, 'ci/kind-values.yaml')]).objects;
      expect(ipRules(kind)).toEqual([{ cidrs: ['0.0.0.0/0'], ports: [443, 80] }, { cidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'], ports: undefined }]);
    });

    test('when Prometheus scrapes (every ServiceMonitor and PodMonitor), then the network policies of the scraped pods admit the monitoring namespace on the scraped port', () => {
      type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string }[] };
      const selects = (sel: Selector | undefined, labels: Record<string, string>) =>
        !!sel && matches(sel.matchLabels ?? {}, labels) && (sel.matchExpressions ?? []).every((e) => (e.operator === 'Exists' ? e.key in labels : false));
      const policies = ofKind(objects, 'NetworkPolicy');
      const admitsMonitoring = (labels: Record<string, string>, port: number) =>
        policies.some((p) =>
          selects(p.spec.podSelector, labels) &&
          (p.spec.ingress ?? []).some(
            (rule: { from?: { namespaceSelector?: Selector }[]; ports?: { port: number }[] }) =>
              (rule.from ?? []).some((f) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring') && (!rule.ports || rule.ports.some((x) => x.port === port)),
          ),
        );
      // The exporters' ports of what CloudNativePG runs (its documentation): instances 9187, PgBouncer 9127.
      const cnpgPort = (sel: Record<string, string>) => ('cnpg.io/poolerName' in sel ? 9127 : 9187);
      const scraped: { what: string; labels: Record<string, string>; port: number }[] = [];
      for (const m of ofKind(objects, 'PodMonitor')) scraped.push({ what: `PodMonitor ${m.metadata.name}`, labels: m.spec.selector.matchLabels, port: cnpgPort(m.spec.selector.matchLabels) });
      for (const m of ofKind(objects, 'ServiceMonitor')) {
        for (const svc of ofKind(objects, 'Service').filter((x) => matches(m.spec.selector.matchLabels, x.metadata.labels))) {
          for (const e of m.spec.endpoints as { port: string }[]) {
            const port = svc.spec.ports.find((p: { name: string }) => p.name === e.port);
            if (!port) continue;
            // A named targetPort is the container port of that name in the selected pods.
            const pod = deployments.find((d) => matches(svc.spec.selector, d.spec.template.metadata.labels));
            const named = typeof port.targetPort === 'string' ? podSpecOf(pod!).containers.flatMap((c: { ports: { name: string; containerPort: number }[] }) => c.ports).find((p: { name: string }) => p.name === port.targetPort)?.containerPort : undefined;
            scraped.push({ what: `ServiceMonitor ${m.metadata.name} → ${svc.metadata.name}`, labels: pod ? pod.spec.template.metadata.labels : svc.spec.selector, port: Number(named ?? port.targetPort ?? port.port) });
          }
        }
      }
      expect(scraped.filter((x) => x.what.startsWith('PodMonitor')).length).toBeGreaterThanOrEqual(3);
      expect(scraped.filter((x) => !admitsMonitoring(x.labels, x.port)).map((x) => `${x.what} :${x.port}`)).toEqual([]);
    });

    test('when deployments render, then each one\'s peer addresses and Redis are exactly what the topology file says', () => {
      const env = (name: string) => Object.fromEntries((podSpecOf(deployments.find((d) => d.metadata.name === `tessera-${name}`)!).containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
      const ports: Record<ServiceName, number> = { users: 50051, catalog: 50052, orders: 50053, payments: 50054, notifications: 50055 };
      for (const caller of [...SERVICE_NAMES, 'edge'] as const) {
        const rendered = env(caller);
        const expected = peerEnv(caller, (service) => `dns:///tessera-${service}:${ports[service]}`);
        const peers = Object.fromEntries(Object.entries(rendered).filter(([k]) => k.endsWith('_TARGET') || k === 'EVENT_SUBSCRIBERS'));
        expect([caller, peers]).toEqual([caller, expected]);
        expect([caller, 'REDIS_URL' in rendered]).toEqual([caller, usesRedis(caller)]);
      }
    });

    test('when Redis renders, then each process that uses it signs in as its own user, whose rules are those of files/redis-acl.yaml, with only its password hash in the ACL', () => {
      const acl = (ofKind(objects, 'Secret').find((s) => s.metadata.name === 'tessera-redis-acl')!.stringData['users.acl'] as string).trim().split('\n');
      const password = (user: string) => Buffer.from(ofKind(objects, 'Secret').find((s) => s.metadata.name === `tessera-redis-${user}`)!.data.password, 'base64').toString();
      const users = Object.keys(loadRedisAcl().users);
      expect(users.sort()).toEqual([...SERVICE_NAMES, 'edge'].filter((n) => usesRedis(n as ServiceName | 'edge')).sort());
      // The same rules `npm start` gives redis-server, with the password as its SHA-256.
      const expected = redisAclRules(Object.fromEntries(users.map((u) => [u, password(u)])), password('admin')).map((rule) =>
        ['user', ...rule.map((token) => (token.startsWith('>') ? `#${createHash('sha256').update(token.slice(1)).digest('hex')}` : token))].join(' '),
      );
      expect(acl.sort()).toEqual(expected.sort());
      expect(acl.join('\n')).not.toMatch(new RegExp(users.map(password).join('|')));
      for (const user of users) {
        const env = podSpecOf(deployments.find((d) => d.metadata.name === `tessera-${user}`)!).containers[0].env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string } } }[];
        const names = env.map((e) => e.name);
        // The password first, so REDIS_URL's $(REDIS_PASSWORD) expands.
        expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('REDIS_URL'));
        expect(env.find((e) => e.name === 'REDIS_PASSWORD')!.valueFrom!.secretKeyRef.name).toBe(`tessera-redis-${user}`);
        expect(env.find((e) => e.name === 'REDIS_URL')!.value).toMatch(new RegExp(`^redis-cluster://${user}:\\$\\(REDIS_PASSWORD\\)@tessera-redis-0\\.`));
      }
    });

    test('when the default values render, then every CloudNativePG cluster has at least 3 instances, and services read the -rw/-ro Services', () => {
      const clusters = objects.filter((o) => o.apiVersion === 'postgresql.cnpg.io/v1' && o.kind === 'Cluster');
      expect(clusters.map((c) => c.metadata.name).sort()).toEqual(['tessera-pg-catalog', 'tessera-pg-shard-a', 'tessera-pg-shard-b']);
      for (const c of clusters) expect(c.spec.instances).toBeGreaterThanOrEqual(3);
      const orders = podSpecOf(deployments.find((d) => d.metadata.name === 'tessera-orders')!).containers[0].env;
      const clustersEnv = JSON.parse(orders.find((e: { name: string }) => e.name === 'DATABASE_CLUSTERS').value);
      expect(clustersEnv.map((c: { name: string }) => c.name)).toEqual(['shard-a', 'shard-b']);
      // The service connects as its runtime role (rows only); its `migrate` init container as the owner, granting that role.
      expect(clustersEnv[0].primary).toBe('postgres://orders_app:$(DB_PASSWORD)@tessera-pg-shard-a-rw:5432/orders');
      expect(clustersEnv[0].replicas).toEqual(['postgres://orders_app:$(DB_PASSWORD)@tessera-pg-shard-a-ro:5432/orders']);
      expect(orders.find((e: { name: string }) => e.name === 'DB_PASSWORD').valueFrom.secretKeyRef.name).toBe('tessera-db-orders-app');
      const migrate = podSpecOf(deployments.find((d) => d.metadata.name === 'tessera-orders')!).initContainers[0].env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string } } }[];
      expect(JSON.parse(migrate.find((e) => e.name === 'DATABASE_CLUSTERS')!.value!)[0].primary).toBe('postgres://orders:$(DB_PASSWORD)@tessera-pg-shard-a-rw:5432/orders');
      expect(migrate.find((e) => e.name === 'DB_PASSWORD')!.valueFrom!.secretKeyRef.name).toBe('tessera-db-orders');
      expect(migrate.find((e) => e.name === 'DATABASE_RUNTIME_ROLE')!.value).toBe('orders_app');
      const roles = clusters.find((c) => c.metadata.name === 'tessera-pg-shard-a')!.spec.managed.roles.map((r: { name: string; passwordSecret: { name: string } }) => `${r.name}:${r.passwordSecret.name}`);
      expect(roles).toEqual(expect.arrayContaining(['orders:tessera-db-orders', 'orders_app:tessera-db-orders-app', 'payments_app:tessera-db-payments-app']));
      const secrets = ofKind(objects, 'Secret').map((s) => s.metadata.name);
      expect(secrets).toEqual(expect.arrayContaining(['tessera-db-orders', 'tessera-db-orders-app']));
      const shardMap = JSON.parse(ofKind(objects, 'ConfigMap').find((c) => c.metadata.name === 'tessera-shard-map')!.data['shard-map.json']);
      expect(shardMap).toEqual({ logicalShards: 1024, ranges: [{ from: 0, to: 511, cluster: 'shard-a' }, { from: 512, to: 1023, cluster: 'shard-b' }] });
    });

    test('when a Service has a metrics port, then a ServiceMonitor scrapes it', () => {
      const monitors = ofKind(objects, 'ServiceMonitor');
      for (const s of ofKind(objects, 'Service').filter((x) => x.spec.ports.some((p: { name: string }) => p.name === 'metrics'))) {
        expect(monitors.filter((m) => matches(m.spec.selector.matchLabels, s.metadata.labels) && m.spec.endpoints.some((e: { port: string }) => e.port === 'metrics'))).toHaveLength(1);
      }
    });

    test('when migrations render, then every service pod runs `migrate` first as an init container, as the owner, with nothing but its database, and no hook can deadlock --wait', () => {
      // The hooks left: `helm test` and the Redis Cluster's forming Job (its pods are Ready before the cluster forms).
      expect(objects.filter((o) => o.metadata.annotations?.['helm.sh/hook']).map((o) => o.metadata.name).sort()).toEqual(['tessera-redis-init', 'tessera-test', 'tessera-test-flows']);
      expect(ofKind(objects, 'Job').filter((j) => j.metadata.name.endsWith('-migrate'))).toEqual([]);
      const services = deployments.filter((d) => d.metadata.name !== 'tessera-edge');
      expect(services).toHaveLength(5);
      for (const d of services) {
        const pod = podSpecOf(d);
        const [init] = pod.initContainers;
        expect(init.name).toBe('migrate');
        expect(init.args).toEqual(['migrate']);
        expect(init.image).toBe(pod.containers[0].image);
        const names = (init.env as { name: string }[]).map((e) => e.name);
        expect(names).toEqual(expect.arrayContaining(['DB_PASSWORD', 'DATABASE_CLUSTERS', 'DATABASE_RUNTIME_ROLE']));
        // Only what migrating needs: no signing keys, admin password, Redis or peers.
        expect(names.filter((n) => /JWT|ADMIN|REDIS|TARGET|SUBSCRIBERS/.test(n))).toEqual([]);
      }
      expect(podSpecOf(deployments.find((d) => d.metadata.name === 'tessera-edge')!).initContainers).toBeUndefined();
    });

    test('when services connect through the Poolers, then their `migrate` still goes straight to each primary (a session advisory lock cannot pass PgBouncer in transaction mode)', () => {
      const pooled = render([], ['postgres.connectVia=pooler']).objects;
      const pod = podSpecOf(ofKind(pooled, 'Deployment').find((d) => d.metadata.name === 'tessera-orders')!);
      const clustersOf = (env: { name: string; value?: string }[]) => JSON.parse(env.find((e) => e.name === 'DATABASE_CLUSTERS')!.value!)[0].primary as string;
      expect(clustersOf(pod.containers[0].env)).toContain('tessera-pg-shard-a-pooler-rw');
      expect(clustersOf(pod.initContainers[0].env)).toBe('postgres://orders:$(DB_PASSWORD)@tessera-pg-shard-a-rw:5432/orders');
    });

    test('when dashboards render, then the Grafana sidecar label is set and every panel has a query', () => {
      const dashboards = ofKind(objects, 'ConfigMap').find((c) => c.metadata.labels?.grafana_dashboard === '1')!;
      const board = JSON.parse(dashboards.data['tessera-overview.json']);
      expect(board.panels.length).toBeGreaterThan(5);
      for (const p of board.panels) expect(p.targets[0].expr).toBeTruthy();
    });
  });

  test('when every image value points elsewhere, then every container image follows it (none is hard-coded)', () => {
    const { objects } = render([], ['image.registry=registry.test/t', 'redis.image=registry.test/redis:7', 'testImage=registry.test/busybox:1']);
    const images = objects.flatMap((o) => {
      const pod = podSpecOf(o);
      return pod ? [...(pod.initContainers ?? []), ...pod.containers].map((c: { image: string }) => c.image) : [];
    });
    expect(images.length).toBeGreaterThan(10);
    for (const image of images) expect(image).toMatch(/^registry\.test\//);
  });

  test.each([['unknown top-level key', 'bogus=1'], ['typo inside a service', 'services.users.replica=3'], ['wrong type', 'postgres.instances=three'], ['bad enum', 'ingress.mode=traefik']])('when values have a %s, then the schema rejects them', (_what, set) => {
    const { status, stderr } = helm(['template', 'tessera', CHART, '--set', set]);
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/schema/);
  });

  test('when the gateway profile renders, then a Gateway and an HTTPRoute replace the Ingress', () => {
    const { objects } = render(profiles['gateway-api']!);
    expect(ofKind(objects, 'Ingress')).toEqual([]);
    expect(ofKind(objects, 'Gateway')).toHaveLength(1);
    expect(ofKind(objects, 'Gateway')[0]!.spec.listeners.find((l: { name: string }) => l.name === 'grpc')).toMatchObject({ protocol: 'HTTPS', port: 443, hostname: 'grpc.tessera.localtest.me', tls: { mode: 'Terminate' } });
    expect(ofKind(objects, 'GRPCRoute')[0]!.spec).toMatchObject({ parentRefs: [{ name: 'tessera-edge', sectionName: 'grpc' }], rules: [{ backendRefs: [{ name: 'tessera-edge', port: 50050 }] }] });
    expect(ofKind(objects, 'HTTPRoute')[0]!.spec.rules[0].backendRefs[0]).toEqual({ name: 'tessera-edge', port: 8080 });
    // The Gateway's proxy pods live in this namespace under the default deny: the edge admits them, and they may reach it and their controller.
    const proxy = { 'gateway.networking.k8s.io/gateway-name': 'tessera-edge' };
    const policies = ofKind(objects, 'NetworkPolicy');
    const edgeFrom = policies.find((p) => p.metadata.name === 'tessera-edge-flows')!.spec.ingress[0].from as { podSelector?: { matchLabels: Record<string, string> } }[];
    expect(edgeFrom.some((f) => f.podSelector && matches(f.podSelector.matchLabels, proxy))).toBe(true);
    const gateway = policies.find((p) => matches(p.spec.podSelector.matchLabels ?? {}, proxy) && p.spec.podSelector.matchLabels)!;
    expect(gateway.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 443 }]);
    expect(gateway.spec.egress.map((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port))).toEqual([[8080, 50050], [443, 8443]]);
    expect(gateway.spec.egress[1].to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('nginx-gateway');
  });

  test('when a collector is set (tracing.otlpEndpoint), then every process exports to it and the network policies let every process reach its port', () => {
    for (const files of [[], profiles.monolith!]) {
      const objects = render(files, ['tracing.otlpEndpoint=http://otel-collector.observability:4318']).objects;
      for (const d of ofKind(objects, 'Deployment')) {
        const env = podSpecOf(d).containers[0].env as { name: string; value?: string }[];
        expect([d.metadata.name, env.find((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value]).toEqual([d.metadata.name, 'http://otel-collector.observability:4318']);
      }
      const policy = ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === 'tessera-allow-otlp')!;
      expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/part-of': 'tessera' });
      expect(policy.spec.egress).toEqual([{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }], ports: [{ protocol: 'TCP', port: 4318 }] }]);
    }
    expect(ofKind(render([]).objects, 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('tessera-allow-otlp');
  });

  describe('in monolith mode', () => {
    const monolith = render(profiles.monolith!).objects;
    const apart = render([]).objects;
    const deployment = () => ofKind(monolith, 'Deployment')[0]!;
    type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
    const envOf = (d: K8sObject, container = 'containers') => podSpecOf(d)[container][0].env as EnvVar[];

    test('when it renders, then one Deployment with one HPA and one PDB runs everything, on the edge\'s ports with the edge\'s probes, and one ServiceMonitor scrapes it', () => {
      expect(ofKind(monolith, 'Deployment').map((d) => d.metadata.name)).toEqual(['tessera-monolith']);
      expect(ofKind(monolith, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name)).toEqual(['tessera-monolith']);
      expect(ofKind(monolith, 'PodDisruptionBudget').map((p) => p.metadata.name)).toContain('tessera-monolith');
      const container = podSpecOf(deployment()).containers[0];
      expect(container.image).toMatch(/\/tessera-monolith:/);
      expect(container.ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`)).toEqual(['http:8080', 'grpc:50050', 'metrics:9464']);
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      const monitored = render([...profiles.monolith!, path.join(CHART, 'ci', 'monitoring-values.yaml')], [], OPERATOR_APIS).objects;
      expect(ofKind(monitored, 'ServiceMonitor').map((m) => m.spec.selector.matchLabels['app.kubernetes.io/name'])).toEqual(['monolith']);
    });

    test('when it renders, then each part gets exactly the settings it gets apart, under its prefix, with $(…) references following their variables', () => {
      const env = envOf(deployment());
      for (const part of [...SERVICE_NAMES, 'edge']) {
        const alone = envOf(ofKind(apart, 'Deployment').find((d) => d.metadata.name === `tessera-${part}`)!);
        // The monolith reads its parts' settings under this prefix; the chart must write them there.
        const prefix = prefixOf(part);
        const mine = env.filter((e) => e.name.startsWith(prefix)).map((e) => ({ ...e, name: e.name.slice(prefix.length), ...(e.value !== undefined ? { value: e.value.replaceAll(`$(${prefix}`, '$(') } : {}) }));
        // Generated secrets differ between renders; their references must not.
        const shape = (list: EnvVar[]) => list.map((e) => ({ name: e.name, value: e.value, secret: e.valueFrom?.secretKeyRef }));
        expect([part, shape(mine)]).toEqual([part, shape(alone)]);
      }
      // The kubelet expands $(VAR) only from variables defined earlier in the list.
      const seen = new Set<string>();
      for (const e of env) {
        for (const [, ref] of (e.value ?? '').matchAll(/\$\(([A-Z0-9_]+)\)/g)) expect(`${e.name} → ${ref}: ${seen.has(ref!)}`).toBe(`${e.name} → ${ref}: true`);
        seen.add(e.name);
      }
      // Each part signs with its own key, as apart.
      for (const part of [...SERVICE_NAMES, 'edge']) expect(env.find((e) => e.name === `${prefixOf(part)}SERVICE_KEY`)!.valueFrom!.secretKeyRef.name).toBe(`tessera-${part}-identity`);
    });

    test('when it renders, then its migrate init container gets each service\'s migration settings (the owner\'s) and nothing else', () => {
      const init = envOf(deployment(), 'initContainers');
      expect(podSpecOf(deployment()).initContainers[0].args).toEqual(['migrate']);
      for (const service of SERVICE_NAMES) {
        const alone = envOf(ofKind(apart, 'Deployment').find((d) => d.metadata.name === `tessera-${service}`)!, 'initContainers').map((e) => e.name);
        expect(init.filter((e) => e.name.startsWith(prefixOf(service))).map((e) => e.name.slice(prefixOf(service).length))).toEqual(alone);
      }
      expect(init.filter((e) => e.name.startsWith('EDGE__') || /REDIS|SIGNING|ADMIN/.test(e.name))).toEqual([]);
    });

    test('when it renders, then the Ingress and the Gateway routes send REST and gRPC to it, and the network policies let clients in and it out to Postgres, Redis and webhook receivers', () => {
      const backends = ofKind(monolith, 'Ingress').map((i) => i.spec.rules[0].http.paths[0].backend.service);
      expect(backends).toEqual([{ name: 'tessera-monolith', port: { name: 'http' } }, { name: 'tessera-monolith', port: { name: 'grpc' } }]);
      const gateway = render([...profiles.monolith!, ...profiles['gateway-api']!]).objects;
      expect(ofKind(gateway, 'HTTPRoute')[0]!.spec.rules[0].backendRefs[0]).toEqual({ name: 'tessera-monolith', port: 8080 });
      expect(ofKind(gateway, 'GRPCRoute')[0]!.spec.rules[0].backendRefs[0]).toEqual({ name: 'tessera-monolith', port: 50050 });
      const policies = ofKind(render([...profiles.monolith!, path.join(CHART, 'ci', 'kind-values.yaml')]).objects, 'NetworkPolicy');
      expect(policies.map((p) => p.metadata.name).filter((n) => /-(users|catalog|orders|payments|notifications|edge)-flows$/.test(n))).toEqual([]);
      const flows = policies.find((p) => p.metadata.name === 'tessera-monolith-flows')!.spec;
      expect(flows.podSelector.matchLabels['app.kubernetes.io/name']).toBe('monolith');
      expect(flows.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('ingress-nginx');
      expect(flows.ingress[0].ports.map((p: { port: number }) => p.port)).toEqual([8080, 50050]);
      const out = flows.egress.map((r: { ports?: { port: number }[] }) => r.ports?.map((p) => p.port) ?? 'any');
      expect(out).toEqual([[5432], [6379], [443, 80], 'any']);
      const gatewayFlows = ofKind(gateway, 'NetworkPolicy').find((p) => p.metadata.name === 'tessera-gateway-flows')!;
      expect(gatewayFlows.spec.egress[0].to[0].podSelector.matchLabels['app.kubernetes.io/name']).toBe('monolith');
    });
  });

  test('when the small profile renders, then clusters have 1 instance and Redis 3 masters without replicas', () => {
    const { objects } = render(profiles.small!);
    for (const c of objects.filter((o) => o.kind === 'Cluster')) expect(c.spec.instances).toBe(1);
    expect(ofKind(objects, 'StatefulSet')[0]!.spec.replicas).toBe(3);
  });
});

describe('skaffold.yaml', () => {
  const skaffold = parse(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8')) as {
    apiVersion: string;
    build: { artifacts: { image: string; docker: { dockerfile: string; buildArgs: { SERVICE: string } } }[] };
    deploy: { helm: { releases: { name: string; chartPath?: string; remoteChart?: string; repo?: string; setValueTemplates?: Record<string, string> }[] } };
    profiles: { name: string }[];
  };
  const services = ['users', 'catalog', 'orders', 'payments', 'notifications'];
  const images = [...services, 'edge'];

  test('when parsed, then it is v4beta and has the kind and minikube profiles', () => {
    expect(skaffold.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
    expect(skaffold.profiles.map((p) => p.name)).toEqual(expect.arrayContaining(['kind', 'minikube']));
  });

  test('when artifacts are listed, then each service has one, with a Dockerfile that exists and a SERVICE that exists', () => {
    expect(skaffold.build.artifacts.map((a) => a.image).sort()).toEqual(images.map((s) => `tessera-${s}`).sort());
    for (const a of skaffold.build.artifacts) {
      expect(existsSync(path.join(ROOT, a.docker.dockerfile))).toBe(true);
      const service = a.docker.buildArgs.SERVICE;
      expect(existsSync(path.join(ROOT, service === 'edge' ? 'edge' : path.join('services', service), 'src', 'main.ts'))).toBe(true);
      expect(a.image).toBe(`tessera-${a.docker.buildArgs.SERVICE}`);
    }
  });

  test('when releases are listed, then local chart paths exist, remote charts name a repo, and image values match the chart', () => {
    const chartValues = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as { services: Record<string, unknown> };
    for (const r of skaffold.deploy.helm.releases) {
      if (r.chartPath) expect(existsSync(path.join(ROOT, r.chartPath, 'Chart.yaml'))).toBe(true);
      else expect(r.repo).toMatch(/^https:\/\//);
    }
    const tessera = skaffold.deploy.helm.releases.find((r) => r.chartPath === 'helm/tessera')!;
    for (const s of services) {
      expect(Object.keys(chartValues.services)).toContain(s);
      expect(tessera.setValueTemplates![`services.${s}.image.repository`]).toBe(`{{.IMAGE_REPO_tessera_${s}}}`);
      expect(tessera.setValueTemplates![`services.${s}.image.tag`]).toContain(`IMAGE_TAG_tessera_${s}`);
    }
    expect(tessera.setValueTemplates!['edge.image.repository']).toBe('{{.IMAGE_REPO_tessera_edge}}');
  });

  type Release = Record<string, unknown> & { name: string; chartPath?: string; wait?: boolean; valuesFiles?: string[] };
  /** skaffold.yaml as skaffold reads it (anchors resolved; no merge keys, which not every YAML reader takes). */
  type Artifacts = { image: string }[];
  const config = () =>
    parse(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8')) as { build: { artifacts: Artifacts }; deploy: { helm: { releases: Release[] } }; profiles: { name: string; build?: { artifacts?: Artifacts }; deploy?: { helm?: { releases?: Release[] } }; patches?: unknown[] }[] };
  /** The releases each way of running deploys, in order: plain `skaffold dev` and every profile (a profile's list replaces the base one). */
  const deployments = () => {
    const c = config();
    return [
      { profile: '(base)', releases: c.deploy.helm.releases, artifacts: c.build.artifacts },
      ...c.profiles.map((p) => ({ profile: p.name, releases: p.deploy?.helm?.releases ?? c.deploy.helm.releases, artifacts: p.build?.artifacts ?? c.build.artifacts })),
    ];
  };
  const allReleases = () => deployments().flatMap(({ profile, releases }) => releases.map((release) => ({ profile, release })));

  test('when a release sets values, then none is a quoted boolean or number (skaffold passes setValues as --set, which would turn it into a boolean or number); such values live in values files', () => {
    const coerced = allReleases().flatMap(({ profile, release }) =>
      Object.entries({ ...(release.setValues as Record<string, unknown> | undefined), ...(release.setValueTemplates as Record<string, unknown> | undefined) })
        .filter(([, v]) => typeof v === 'string' && /^(true|false|-?\d+(\.\d+)?)$/.test(v))
        .map(([k, v]) => `${profile} ${release.name}: ${k}=${JSON.stringify(v)}`),
    );
    expect(coerced).toEqual([]);
  });

  test('when the kind profile installs ingress-nginx, then it lands on the node kind labels ingress-ready, selected by a string', () => {
    const ingress = allReleases().find(({ profile, release }) => profile === 'kind' && release.name === 'ingress-nginx')!.release;
    const files = (ingress.valuesFiles as string[]).map((f) => parse(readFileSync(path.join(ROOT, f), 'utf8')) as { controller: { nodeSelector: Record<string, unknown>; hostPort: { enabled: boolean } } });
    expect(files[0]!.controller.nodeSelector['ingress-ready']).toBe('true');
    expect(files[0]!.controller.hostPort.enabled).toBe(true);
    expect(readFileSync(path.join(ROOT, 'k8s', 'kind-cluster.yaml'), 'utf8')).toContain('node-labels: "ingress-ready=true"');
  });

  test('when any profile deploys, then every operator installs (and is waited for) before the chart whose objects need it, the chart renders with what that cluster then has, and no hook can hold up --wait', () => {
    const plans = deployments();
    expect(plans.map((p) => p.profile)).toEqual(['(base)', 'kind', 'minikube', 'kind-monitoring', 'minikube-monitoring', 'kind-gateway', 'kind-monolith']);
    expect(config().profiles.filter((p) => p.patches)).toEqual([]);
    for (const { profile, releases, artifacts } of plans) {
      const names = releases.map((r) => r.name);
      const at = (name: string) => names.indexOf(name);
      const tessera = releases.find((r) => r.chartPath === 'helm/tessera')!;
      // Every profile deploys the images skaffold just built in it, and builds none it does not deploy.
      const deployed = Object.values(tessera.setValueTemplates as Record<string, string>).flatMap((v) => [...v.matchAll(/IMAGE_(?:REPO|TAG|DIGEST)_(\w+)/g)].map((m) => m[1]!.replace(/_/g, '-')));
      expect([profile, [...new Set(deployed)].sort()]).toEqual([profile, artifacts.map((a) => a.image).sort()]);
      // In monolith mode the chart runs the monolith's image; otherwise every service's and the edge's.
      const mode = (tessera.valuesFiles ?? []).some((f) => f.endsWith('monolith-values.yaml')) ? 'monolith' : 'microservices';
      expect([profile, artifacts.map((a) => a.image).sort()]).toEqual([profile, mode === 'monolith' ? ['tessera-monolith'] : images.map((s) => `tessera-${s}`).sort()]);
      for (const f of tessera.valuesFiles ?? []) expect(existsSync(path.join(ROOT, f))).toBe(true);
      const values = (tessera.valuesFiles ?? []).map((f) => path.join(ROOT, f));
      // What the cluster has when the chart installs: the CRDs of the operators installed before it.
      const before = releases.slice(0, at('tessera'));
      const apis = [...(before.some((r) => r.name === 'kube-prometheus-stack') ? OPERATOR_APIS : []), ...(before.some((r) => r.name === 'cnpg') ? ['postgresql.cnpg.io/v1/Cluster'] : [])];
      const objects = render(values, [], apis).objects;
      const needs = (group: string) => objects.some((o) => o.apiVersion.startsWith(`${group}/`));
      // The Gateway API CRDs themselves are applied by hand first (k8s/README.md); the controller is a release.
      const operatorOf: Record<string, string> = { 'postgresql.cnpg.io': 'cnpg', 'monitoring.coreos.com': 'kube-prometheus-stack', 'gateway.networking.k8s.io': 'nginx-gateway-fabric' };
      for (const [group, operator] of Object.entries(operatorOf)) {
        if (!needs(group)) continue;
        expect(`${profile}: ${operator} before tessera: ${at(operator) !== -1 && at(operator) < at('tessera')}`).toBe(`${profile}: ${operator} before tessera: true`);
        // Its webhooks and CRDs must be serving before the chart's objects arrive.
        expect(`${profile}: ${operator} wait ${releases[at(operator)]!.wait}`).toBe(`${profile}: ${operator} wait true`);
      }
      if (at('ingress-nginx') !== -1) expect(`${profile}: ingress-nginx (its admission webhook checks the Ingress) first: ${at('ingress-nginx') < at('tessera') && releases[at('ingress-nginx')]!.wait}`).toBe(`${profile}: ingress-nginx (its admission webhook checks the Ingress) first: true`);
      // The monitoring profiles turn the monitors on and get them on the first install.
      if (profile.endsWith('-monitoring')) expect(`${profile}: ${objects.filter((o) => o.kind === 'ServiceMonitor').length > 0}`).toBe(`${profile}: true`);
      // --wait waits for readiness before post-install hooks run: no hook may be what some pod's readiness waits for.
      const hooks = objects.filter((o) => o.metadata.annotations?.['helm.sh/hook']).map((o) => `${o.metadata.annotations!['helm.sh/hook']} ${o.metadata.name}`);
      expect(hooks.filter((h) => !/^test /.test(h))).toEqual(['post-install,post-upgrade tessera-redis-init']);
      const redis = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'tessera-redis')!;
      // Redis pods are ready on PING, before the init Job forms the cluster; services treat Redis as optional.
      expect(podSpecOf(redis).containers[0].readinessProbe.exec.command).toEqual(['redis-cli', 'ping']);
    }
  });

  test('when the chart installs before the Prometheus operator (or without it), then it renders no monitors instead of failing', () => {
    const objects = render([], [], []).objects;
    expect(objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Deployment').length).toBe(6);
  });
});

