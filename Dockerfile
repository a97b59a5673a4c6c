# nserve image: a drop-in for the TorchServe image of KServe's `kserve-torchserve` runtime
# (docs/kserve.md). KServe passes `torchserve --start --model-store=... --ts-config=...` as the
# arguments of the ENTRYPOINT; nserve ignores the leading `torchserve` and, being PID 1 (or in a
# pod), serves in the foreground.
#
#   docker build -t nserve:0.1.0 .
#   docker run --rm -p 8080:8080 -v "$PWD/models:/mnt/models:ro" nserve:0.1.0
#
# GPU twin (KServe appends `-gpu` to the image tag when the predictor has GPU limits). WebGPU
# execution provider (what bench/sdxl ran on H200): the Vulkan loader; the NVIDIA container
# runtime injects the driver's Vulkan ICD because NVIDIA_DRIVER_CAPABILITIES includes `graphics`:
#   docker build -t nserve:0.1.0-gpu --build-arg EXTRA_APT_PACKAGES=libvulkan1 .
# CUDA execution provider instead: onnxruntime-node's CUDA 12 binaries (downloaded from NuGet at
# `npm ci`) on a CUDA 12 + cuDNN 9 base image:
#   docker build -t nserve:0.1.0-gpu --build-arg ORT_NODE_INSTALL=cuda12 \
#     --build-arg RUNTIME_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 .

ARG NODE_IMAGE=node:20-slim
ARG RUNTIME_IMAGE=node:20-slim

# ---- build: compile src/ to dist/ ------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- production dependencies (native: onnxruntime-node, sharp) --------------------------------
FROM ${NODE_IMAGE} AS deps
# `skip`: the CPU (and WebGPU) binaries bundled in the npm package; `cuda12`: add the CUDA EP.
ARG ORT_NODE_INSTALL=skip
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN ONNXRUNTIME_NODE_INSTALL="${ORT_NODE_INSTALL}" npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
ARG EXTRA_APT_PACKAGES=""
RUN if [ -n "${EXTRA_APT_PACKAGES}" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends ${EXTRA_APT_PACKAGES} \
      && rm -rf /var/lib/apt/lists/*; \
    fi
# The node binary, for runtime images that are not node images (e.g. nvidia/cuda).
COPY --from=build /usr/local/bin/node /usr/local/bin/node

WORKDIR /opt/nserve
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY proto ./proto
RUN chmod 0755 bin/nserve.js bin/nserve-archiver.js \
    && ln -s /opt/nserve/bin/nserve.js /usr/local/bin/nserve \
    && ln -s /opt/nserve/bin/nserve.js /usr/local/bin/torchserve \
    && ln -s /opt/nserve/bin/nserve-archiver.js /usr/local/bin/nserve-archiver \
    && mkdir -p /home/model-server/tmp /home/model-server/logs \
    && chown -R 1000:1000 /home/model-server

# /mnt/models (KServe's storage) is read-only: everything nserve writes goes under
# /home/model-server: key_file.json (working directory), extracted archives and the pid file
# (TMPDIR), config snapshots (LOG_LOCATION). Mount an emptyDir there for a read-only root.
# PORT=8080: with no inference_address in the config, inference is served on 0.0.0.0:8080; with
# KServe's config (inference_address=...:8085), 8080 is an extra inference listener opened once the
# models are loaded. Knative and Cloud Run set PORT themselves.
ENV NODE_ENV=production \
    HOME=/home/model-server \
    TMPDIR=/home/model-server/tmp \
    LOG_LOCATION=/home/model-server/logs \
    PORT=8080 \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
WORKDIR /home/model-server
USER 1000:1000

# 8080 KServe/inference (PORT), 8081 management, 8082 metrics, 7070/7071 gRPC inference/management.
EXPOSE 8080 8081 8082 7070 7071
ENTRYPOINT ["nserve"]
CMD ["torchserve", "--start", "--model-store=/mnt/models/model-store", "--ts-config=/mnt/models/config/config.properties"]
