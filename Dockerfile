# One image for all five services; SERVICE picks which app uvicorn serves.
#   docker build -t pacs-service-ops:latest .
#   docker run -e SERVICE=intake -e AMQP_URL=... -e MONGODB_URL=... -p 8000:8000 pacs-service-ops:latest
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The scheduler's PM report: WeasyPrint lays out with Pango and subsets fonts with HarfBuzz, and the
# Chinese half of the report needs a CJK font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml ./
COPY libs/ libs/
COPY services/ services/
# A regular (not editable) install: the packages and their bytecode land in site-packages,
# so the sources can go and nothing needs writing at run time (the root filesystem is read-only).
RUN pip install --no-cache-dir . \
    && rm -rf /src

RUN groupadd --system --gid 10001 pacs \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pacs

# Set after the install so pip still precompiles the packages.
ENV PYTHONDONTWRITEBYTECODE=1

ARG SERVICE=
ENV SERVICE=${SERVICE}

WORKDIR /tmp
USER 10001:10001
EXPOSE 8000

# `exec` replaces the shell, so uvicorn is PID 1 and receives SIGTERM for a graceful shutdown.
# Arguments given to the container (CMD) are appended to uvicorn's.
ENTRYPOINT ["/bin/sh", "-c", "exec python -m uvicorn --factory \"pacs_${SERVICE:?set SERVICE to intake, escalation, monitoring, scheduler or notify}.main:create_app\" --host 0.0.0.0 --port 8000 \"$@\"", "uvicorn"]
CMD ["--no-access-log", "--timeout-graceful-shutdown", "20"]
