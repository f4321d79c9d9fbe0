# syntax=docker/dockerfile:1
# The operator image: TypeScript compiled in a full Node.js image, production dependencies installed
# in another, and both copied onto distroless Node.js 24 (no shell, no package manager), run as the
# image's nonroot user. `npm run check:image` replays these steps without a Docker engine; keep to
# the instructions it understands (see scripts/check-image.ts).

# Compile src/ to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# npm ci runs the package's preinstall check of the Node.js version.
COPY scripts/check-node.cjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only; none of them needs an install script.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# package.json marks dist/ as ES modules ("type": "module").
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "--enable-source-maps", "dist/main.js"]
