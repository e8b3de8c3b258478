# cliport in a container, set up the way the README says: `make setup` (a .venv holding
# `pip install -e '.[dev]'`, the step `make demo` starts with), then `make test`.
#
#   docker build -t cliport .                                   # CPU torch (the default)
#   docker build -t cliport:cu128 --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 .
#   docker run --rm -it cliport make demo                        # with a GPU: docker run --gpus all ...
#   docker build --build-arg RUN_TESTS=0 ...                     # skip the test suite at build time
#
# TORCH_INDEX is passed to `make setup`, which installs torch from that index (at the version
# pyproject.toml pins) before the rest: PyPI's Linux torch wheel is a CUDA build of several GB. CUDA
# wheels carry their CUDA libraries: the host needs only the NVIDIA driver and container toolkit.
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim-bookworm

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG RUN_TESTS=1

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLBACKEND=Agg

# make runs the set-up; the EGL libraries let `renderer=egl` work (docs/rendering.md). pybullet,
# OpenCV and ffmpeg come as wheels.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends make libegl1 libegl-mesa0 libgl1-mesa-dri \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/cliport
COPY . .

# Separate layers on purpose: a failing test run leaves the installed layer in the build cache.
# hadolint ignore=DL3059
RUN make setup TORCH_INDEX="${TORCH_INDEX}"
# hadolint ignore=DL3059
RUN if [ "${RUN_TESTS}" = "1" ]; then make test; fi

ENV PATH=/opt/cliport/.venv/bin:$PATH
CMD ["cliport", "--help"]
