# syntax=docker/dockerfile:1
# test/container/production-install.test.ts replays this file's COPY, ENV and RUN steps outside Docker and starts
# the CMD it ends with: keep every RUN relative to WORKDIR (that test refuses absolute paths in a RUN).

# Build stage: compile TypeScript with the full dependency tree.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: compiling needs no install script, and it skips the `node` devDependency's preinstall, which
# would fetch a second Node 24 only to pin the version npm scripts run on; the image's own node is Node 24.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
RUN npm run build

# Final stage: production dependencies only, non-root, signals straight to node.
FROM node:24-slim
LABEL org.opencontainers.image.title="portable-watch" \
      org.opencontainers.image.description="Watches Portable data flows and alerts when a run fails or hangs." \
      org.opencontainers.image.licenses="MIT"
# HTTP_HOST is 0.0.0.0 so a published port reaches /healthz; the HEALTHCHECK below asks 127.0.0.1.
# LOG_FORMAT=json: one JSON object per line even under `docker run -t`, for log shippers.
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    CONFIG_PATH=/app/config/flows.yaml \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev leaves out the `node` devDependency and its preinstall. --ignore-scripts keeps the one production
# install script, msgpackr-extract's optional native build, from running: its prebuilt binary ships in a package
# of its own, and bullmq falls back to plain JavaScript without it.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The status page's own scripts, styles and icon are served from beside its compiled code (tsc copies no such file).
COPY --from=build /app/src/web/assets ./dist/src/web/assets
# `npx portable-watch` (package.json "bin"): the launcher runs dist/src/cli.js where src/ is absent.
COPY bin ./bin
# The real config is mounted at CONFIG_PATH; the example documents every key (a template reading the secrets from the environment).
COPY config/flows.example.yaml ./config/flows.example.yaml
# The JSON Schema of the webhook notifier's body, for whoever writes a receiver.
COPY schemas ./schemas
# Files stay owned by root, so the worker cannot rewrite its own code or dependencies.
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and handles SIGTERM/SIGINT itself (stops taking jobs, lets checks finish, exits 0
# within 10 s). The V8 flags keep its memory near what is live (src/worker/node-flags.ts). It starts no child processes, so nothing needs reaping; `docker run --init` adds tini anyway.
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=20", "dist/src/cli.js", "start"]
