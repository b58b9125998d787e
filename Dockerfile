# syntax=docker/dockerfile:1.7
# One image recipe for every service: `docker build --build-arg SERVICE=users .`
# (skaffold passes SERVICE per artifact).

ARG NODE_IMAGE=node:20.19-bookworm-slim

# --- build: install everything, bundle one service, then drop dev dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund
ARG SERVICE
RUN test -n "${SERVICE}" && { test -d "services/${SERVICE}" || test "${SERVICE}" = edge; } || (echo "set --build-arg SERVICE=<users|catalog|orders|payments|notifications|edge>" && exit 1)
RUN npm run build -- "${SERVICE}" && npm prune --omit=dev --no-audit --no-fund
# Stage what the runtime needs in one tree: services/<name>/{dist,migrations} or edge/dist.
RUN mkdir -p /out \
 && if [ "${SERVICE}" = edge ]; then mkdir -p /out/edge && cp -r edge/dist /out/edge/dist && ln -s /app/edge/dist/main.js /out/main.js; \
    else mkdir -p /out/services/${SERVICE} && cp -r services/${SERVICE}/dist services/${SERVICE}/migrations /out/services/${SERVICE}/ && ln -s /app/services/${SERVICE}/dist/main.js /out/main.js; fi

# --- runtime: production dependencies, the bundle, its migrations and the protos (for reflection)
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE}
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/proto ./proto
# The bundle resolves proto/ and migrations/ from its own real path, so the stable entry link is safe.
COPY --from=build /out/ ./
# The image's `node` user (uid 1000); nothing is written to the root filesystem, so it can be read-only.
USER 1000:1000
EXPOSE 8080 50051 9464
# tini reaps zombies and forwards SIGTERM, so the service drains on pod shutdown.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--enable-source-maps", "/app/main.js"]
