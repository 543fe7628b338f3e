# The legacy Node/Express service, as it runs in production while routes move to Flask.
# Build from the repository root:  docker build -f deploy/legacy.Dockerfile -t strangler-legacy .
# It reads DATABASE_URL, JWT_SECRET (required: NODE_ENV=production refuses the default), PORT
# and HOST at run time.
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles its addon when no prebuilt binary can be fetched: the tools stay here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app/legacy
COPY legacy/package.json legacy/package-lock.json ./
# node-gyp builds against this Node's own headers (/usr/local/include/node): nothing to download.
ENV npm_config_nodedir=/usr/local
RUN npm ci --omit=dev --no-audit --no-fund
COPY legacy/src src

FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build /app /app
WORKDIR /app
USER node
EXPOSE 3000
# GET /api/tags reads the database: 200 means the process and its database are sound.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/api/tags').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "legacy/src/server.js"]
