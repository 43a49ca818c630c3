# syntax=docker/dockerfile:1
# Fathom: multi-stage build of the Next.js standalone server.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# (npm install, not npm ci: the lock records platform packages only for the platforms it was made on)
RUN npm install --no-audit --no-fund

FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN node node_modules/next/dist/bin/next build \
 && cp -r public .next/standalone/public \
 && mkdir -p .next/standalone/.next \
 && cp -r .next/static .next/standalone/.next/static \
 && node node_modules/tsx/dist/cli.mjs scripts/build-search-index.ts .next/standalone

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    TASK_STORAGE_DIR=/app/data/tasks \
    NEXT_MANUAL_SIG_HANDLE=true
RUN groupadd --system --gid 1001 fathom \
 && useradd --system --uid 1001 --gid fathom --home /app fathom \
 && mkdir -p /app/data/tasks && chown -R fathom:fathom /app/data
COPY --from=build --chown=fathom:fathom /app/.next/standalone ./
COPY --from=build --chown=fathom:fathom /app/scripts/server-hooks.cjs ./server-hooks.cjs
USER fathom
VOLUME /app/data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM lets the server hand its running tasks back before it exits.
STOPSIGNAL SIGTERM
CMD ["node", "--require", "./server-hooks.cjs", "server.js"]
