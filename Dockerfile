# Production image of the OMI service.
#   docker build -t omi-service .
#   docker run -e DATABASE_URL=postgresql+psycopg://... -e JWT_SECRET=... -p 8000:8000 omi-service
# Settings come from the environment at run time (see README.md); none are baked in.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the package and its runtime dependencies into a virtualenv ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/omi
WORKDIR /src
# Only what the package is built from: .dockerignore keeps the rest of the tree out.
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
# A plain install, not editable and without the test extras.
RUN /opt/omi/bin/pip install . \
    && /opt/omi/bin/pip uninstall --yes pip setuptools \
    && rm -rf /src

# --- runtime: the virtualenv, the entrypoint, and an unprivileged user ---
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/omi/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMI_HOST=0.0.0.0 \
    OMI_PORT=8000 \
    OMI_WORKERS=1
COPY scripts/docker-entrypoint /usr/local/bin/docker-entrypoint
# A fixed numeric id, so orchestrators can check runAsNonRoot without reading /etc/passwd.
RUN chmod 0755 /usr/local/bin/docker-entrypoint \
    && groupadd --system --gid 10001 omi \
    && useradd --system --uid 10001 --gid omi --home-dir /var/lib/omi --create-home \
       --shell /usr/sbin/nologin omi
COPY --from=build /opt/omi /opt/omi
# The default SQLite file (DATABASE_URL unset) lands here; mount a volume to keep it.
WORKDIR /var/lib/omi
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["docker-entrypoint", "healthcheck"]
ENTRYPOINT ["docker-entrypoint"]
CMD ["serve"]
