/**
 * The rules of the layers, enforced by `test/architecture.test.ts` (see
 * ARCHITECTURE.md). Paths are matched anywhere in the tree, so the test's
 * fixture of deliberate violations trips the same rules.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const SERVICE = '(^|/)services/[^/]+/src/';
const DRIVERS = 'node_modules/(@grpc/|postgres/|ioredis/|express/|fastify/|prom-client/|pino/|jose/|undici/)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules form a tree of layers; a cycle means two of them are one concept or one is in the wrong place.',
      from: { pathNot: 'node_modules' },
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'A domain reads as a story: no transport, no generated code, no drivers, no I/O adapters. It declares ports; main.ts plugs adapters in.',
      from: { path: `${SERVICE}domain/` },
      to: {
        path: [DRIVERS, '(^|/)packages/(grpc-kit|contracts|cache|outbox|metrics|workers|local-infra|testing)/', `${SERVICE}(data-access|entry-points|workers)/`],
      },
    },
    {
      name: 'domain-uses-data-types-only',
      severity: 'error',
      comment: 'The domain may name the data tier\'s and the logger\'s plain types (PageRequest, Written, Logger), never call into them. (@tessera/auth is allowed: its roles and scope table are domain vocabulary.)',
      from: { path: `${SERVICE}domain/` },
      to: { path: '(^|/)packages/(data|logging)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'handlers-go-through-the-domain',
      severity: 'error',
      comment: 'Entry points decode, call a use case, encode: storage is reached through the domain\'s ports, never directly.',
      from: { path: `${SERVICE}entry-points/` },
      to: { path: `${SERVICE}(data-access|workers)/` },
    },
    {
      name: 'adapters-do-not-call-back-up',
      severity: 'error',
      comment: 'Repositories and clients know the domain\'s types, not who calls them.',
      from: { path: `${SERVICE}data-access/` },
      to: { path: `${SERVICE}(entry-points|workers)/|${SERVICE}(main|service)\\.ts$` },
    },
    {
      name: 'packages-stand-alone',
      severity: 'error',
      comment: 'Shared libraries never reach into a service or the edge.',
      from: { path: '(^|/)packages/[^/]+/src/' },
      to: { path: ['(^|/)services/', '(^|/)edge/'] },
    },
    {
      name: 'services-talk-over-grpc',
      severity: 'error',
      comment: 'A service (or the edge) never imports another service\'s code; it calls it through its proto client.',
      from: { path: '(^|/)(services/([^/]+)|edge)/src/' },
      to: { path: '(^|/)(services/[^/]+|edge)/src/', pathNot: '(^|/)$2/src/' },
    },
    {
      name: 'monolith-composes-parts',
      severity: 'error',
      comment: 'The monolith composes the parts as their own entry points do (config and composition root) and knows nothing else of them: no domain, handler or adapter code differs between modes.',
      from: { path: '(^|/)monolith/src/' },
      to: { path: '(^|/)(services/[^/]+|edge)/src/', pathNot: '(^|/)(services/[^/]+/src/(config|service)|edge/src/(config|edge))\\.ts$' },
    },
    {
      name: 'generated-code-through-contracts',
      severity: 'error',
      comment: 'Generated code is reached through @tessera/contracts only (one import surface, regenerated in one place).',
      from: { pathNot: '(^|/)packages/contracts/src/' },
      to: { path: '(^|/)packages/contracts/src/gen/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '\\.d\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
