# The edge gateway alone (smaller than infra/docker/Dockerfile with APP=gateway: no Prisma, no web).
#   docker build -f infra/docker/gateway.Dockerfile -t vetpacs-gateway .
#   docker run -d --name vetpacs-gateway --restart unless-stopped \
#     -p 104:11112 -p 8104:8104 \
#     -v /srv/vetpacs-gateway:/var/lib/vetpacs-gateway \
#     -v /etc/vetpacs-gateway/gateway.json:/etc/vetpacs-gateway/gateway.json:ro \
#     -e GATEWAY_SECRET=... vetpacs-gateway
FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN npm install -g pnpm@10.34.0
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY apps/gateway/package.json apps/gateway/
COPY packages/ packages/
RUN pnpm install --frozen-lockfile --filter @vetpacs/gateway... --prod

FROM node:24-bookworm-slim
ENV NODE_ENV=production GATEWAY_DATA_DIR=/var/lib/vetpacs-gateway
WORKDIR /app
# dcmtk: echoscu/storescu for on-site diagnostics; tini reaps and forwards SIGTERM.
RUN apt-get update && apt-get install -y --no-install-recommends dcmtk ca-certificates tini && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/packages packages
COPY --from=deps /app/apps/gateway/node_modules apps/gateway/node_modules
COPY package.json pnpm-workspace.yaml ./
COPY apps/gateway apps/gateway
RUN mkdir -p /var/lib/vetpacs-gateway && chown node:node /var/lib/vetpacs-gateway
USER node
VOLUME /var/lib/vetpacs-gateway
EXPOSE 11112 8104
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:8104/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
WORKDIR /app/apps/gateway
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts", "start", "--config", "/etc/vetpacs-gateway/gateway.json"]
