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
CMD ["centsource", "up"]
