# One image for the five PKC services: `pkc serve <service>`; each Deployment names its
# service in `args`. Build: docker build -t pkc-platform:<version> .
# checkov:skip=CKV_DOCKER_2:Kubernetes probes /healthz and /readyz on each service's own port; the image serves five services, so no single HEALTHCHECK fits

# Builder: installs the project and its dependencies into a virtualenv that is copied whole.
FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# Dependencies first: this layer is rebuilt only when pyproject.toml changes, not on code edits.
COPY pyproject.toml README.md ./
RUN /opt/venv/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt
COPY domain ./domain
COPY pkc ./pkc
COPY schemas ./schemas
COPY services ./services
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps .

# Runtime: the interpreter and the virtualenv, no compilers, no pip cache, a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PKC_STATE_DIR=/var/lib/pkc \
    HOME=/tmp
RUN groupadd --system --gid 10001 pkc \
    && useradd --system --uid 10001 --gid pkc --no-create-home --shell /usr/sbin/nologin pkc \
    && mkdir -p /var/lib/pkc \
    && chown pkc:pkc /var/lib/pkc
COPY --from=builder /opt/venv /opt/venv
WORKDIR /var/lib/pkc
USER 10001:10001
EXPOSE 8001 8002 8003 8004 8005
ENTRYPOINT ["pkc", "serve"]
CMD ["intake"]
