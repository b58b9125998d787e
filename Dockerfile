# syntax=docker/dockerfile:1.7
# One image recipe for every service: `docker build --build-arg SERVICE=users .`
# (SERVICE=monolith: every service and the edge in one process, the chart's `mode: monolith`)
# (skaffold passes SERVICE per artifact). test/image-layout.test.ts builds the
# same layout without Docker and runs every service from it.

# Node 24 (LTS); test/image-layout.test.ts runs the bundles under the same major.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: install everything, bundle one service, stage what the image holds
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The manifests first, so `npm ci` is a cached layer until a dependency changes
# (every workspace's package.json: test/image-layout.test.ts checks the list).
COPY package.json package-lock.json ./
COPY patches ./patches
COPY edge/package.json ./edge/
COPY monolith/package.json ./monolith/
COPY packages/api-client/package.json ./packages/api-client/
COPY packages/auth/package.json ./packages/auth/
COPY packages/cache/package.json ./packages/cache/
COPY packages/client/package.json ./packages/client/
COPY packages/config/package.json ./packages/config/
COPY packages/contracts/package.json ./packages/contracts/
COPY packages/data/package.json ./packages/data/
COPY packages/errors/package.json ./packages/errors/
COPY packages/grpc-kit/package.json ./packages/grpc-kit/
COPY packages/local-infra/package.json ./packages/local-infra/
COPY packages/logging/package.json ./packages/logging/
COPY packages/metrics/package.json ./packages/metrics/
COPY packages/outbox/package.json ./packages/outbox/
COPY packages/testing/package.json ./packages/testing/
COPY packages/tracing/package.json ./packages/tracing/
COPY packages/workers/package.json ./packages/workers/
COPY services/catalog/package.json ./services/catalog/
COPY services/notifications/package.json ./services/notifications/
COPY services/orders/package.json ./services/orders/
COPY services/payments/package.json ./services/payments/
COPY services/users/package.json ./services/users/
RUN npm ci --no-audit --no-fund
COPY . .
ARG SERVICE
RUN test -n "${SERVICE}" && { test -d "services/${SERVICE}" || test "${SERVICE}" = edge || test "${SERVICE}" = monolith; } || (echo "set --build-arg SERVICE=<users|catalog|orders|payments|notifications|edge|monolith>" && exit 1)
# One bundle carrying every dependency (no node_modules in the image), then the image's folder.
RUN npm run build -- "${SERVICE}" && node scripts/stage-image.mjs "${SERVICE}" /out

# --- runtime: main.js (a link to the bundle), its migrations and the protos (for reflection)
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE}
WORKDIR /app
COPY --from=build /out/ ./
# The image's `node` user (uid 1000); nothing is written to the root filesystem, so it can be read-only.
USER 1000:1000
EXPOSE 8080 50051 9464
# tini reaps zombies and forwards SIGTERM, so the service drains on pod shutdown. No
# --enable-source-maps by default: with every dependency in the bundle its map is large, and Node
# consults it for each stack trace, which cost the edge a third more CPU per request (measured in
# `npm run bench -- http`). The maps ship beside the bundles: NODE_OPTIONS=--enable-source-maps
# turns them on when a stack trace needs reading.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/main.js"]
