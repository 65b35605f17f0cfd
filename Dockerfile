FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY command_api command_api
COPY projections projections
COPY read_api read_api
COPY infra infra
RUN pip install --no-cache-dir .
RUN useradd --create-home centsource
USER centsource
EXPOSE 8000 8001
CMD ["centsource", "up"]
