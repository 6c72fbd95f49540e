# One image for all seven services; SERVICE picks which app uvicorn serves.
#   docker build -t pacs-service-ops:latest .
#   docker run -e SERVICE=intake -e AMQP_URL=... -e MONGODB_URL=... -p 8000:8000 pacs-service-ops:latest
# Nothing in it floats: the base image is an exact Python and Debian release, the OS packages are pinned in
# deploy/image/os-packages.txt, and every Python package comes from requirements/runtime.txt, checked against
# its hashes (`make sbom` lists the same set, with licences). Development packages are never installed here.
FROM python:3.11.7-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY deploy/image/os-packages.txt /tmp/os-packages.txt
RUN apt-get update \
    && sed -e 's/#.*//' /tmp/os-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/os-packages.txt

WORKDIR /src
COPY requirements/runtime.txt requirements/build.txt requirements/
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/runtime.txt -r requirements/build.txt
COPY pyproject.toml ./
COPY libs/ libs/
COPY services/ services/
# A regular (not editable) install of the project alone, with the locked build backend and no resolving: the
# packages and their bytecode land in site-packages, so the sources can go and nothing needs writing at run
# time (the root filesystem is read-only). The lock's identity is what /healthz and pacs_service_info report.
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && mkdir -p /etc/pacs-service-ops \
    && sha256sum requirements/runtime.txt | cut -c1-16 > /etc/pacs-service-ops/lock-id \
    && rm -rf /src

# /var/lib/pacs-access: the access service's run directory under Compose, a volume (which takes this owner) that
# keeps its CA key.
RUN groupadd --system --gid 10001 pacs \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pacs \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/pacs-access

# Set after the install so pip still precompiles the packages.
ENV PYTHONDONTWRITEBYTECODE=1

ARG SERVICE=
ENV SERVICE=${SERVICE}

WORKDIR /tmp
USER 10001:10001
EXPOSE 8000

# `exec` replaces the shell, so uvicorn is PID 1 and receives SIGTERM for a graceful shutdown.
# Arguments given to the container (CMD) are appended to uvicorn's.
ENTRYPOINT ["/bin/sh", "-c", "exec python -m uvicorn --factory \"pacs_${SERVICE:?set SERVICE to intake, escalation, monitoring, scheduler, notify, console or access}.main:create_app\" --host 0.0.0.0 --port 8000 \"$@\"", "uvicorn"]
CMD ["--no-access-log", "--timeout-graceful-shutdown", "20"]
