FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY command_api command_api
COPY projections projections
COPY read_api read_api
COPY infra infra
RUN pip install --no-cache-dir . \
    && useradd --create-home centsource \
    && mkdir /data && chown centsource /data
USER centsource
# Listen beyond the container; `centsource up` keeps embedded services' data in /data.
ENV CENTSOURCE_HOST=0.0.0.0 CENTSOURCE_DATA_DIR=/data
VOLUME /data
EXPOSE 8000 8001
# `up`'s command API answers 200 on /health once its services and projections are well;
# compose.yaml gives each of its processes a check of its own.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=6 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["centsource", "up"]
