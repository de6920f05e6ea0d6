# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the full dependency tree.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
RUN npm run build

# Final stage: production dependencies only, non-root, signals straight to node.
FROM node:24-slim
ENV NODE_ENV=production \
    CONFIG_PATH=/app/config/flows.yaml \
    HTTP_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
# The image's own node is the runtime; the `node` devDependency that pins Node 24 for npm scripts is not needed.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config/flows.example.yaml ./config/flows.example.yaml
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node runs as PID 1 and handles SIGTERM/SIGINT itself (graceful shutdown); run with `--init` for zombie reaping.
CMD ["node", "dist/src/cli.js", "start"]
