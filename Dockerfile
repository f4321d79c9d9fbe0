# syntax=docker/dockerfile:1
# The operator image: the operator bundled (scripts/build.ts: one minified ES module with every
# dependency inside, and its source map) in a full Node.js image, then copied onto distroless
# Node.js 24 (no shell, no package manager, no node_modules), run as the image's nonroot user.
# `npm run check:image` replays these steps without a Docker engine; keep to the instructions it
# understands (see scripts/check-image.ts).

# Bundle src/ into dist/main.js.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# npm ci runs the package's preinstall check of the Node.js version.
COPY scripts/check-node.cjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# glibc's malloc keeps an arena per thread that allocates (V8's helpers, libuv's pool, TLS), each
# holding freed memory, and after freeing one large block serves later ones from those arenas too
# (its mmap threshold rises). Two arenas and a fixed 128 KiB threshold (large blocks go back to the
# system when freed) took an idle operator with 10,000 resources from 316 to 267 MiB resident
# (docs/performance.md).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
# package.json marks dist/ as ES modules ("type": "module").
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "--enable-source-maps", "dist/main.js"]
