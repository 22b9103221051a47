# One image for the three hello-dd services, and only them: the suite's fault-injecting proxy has an image
# of its own (containers/spec-tools/Dockerfile). Which service runs is the command's argument:
#   docker run hello-dd:dev hello-dd serve inventory-service
# Settings come from the environment (PORT, DATABASE_URL, REDIS_URL, INVENTORY_URL, ...; see
# docs/operations.md). It holds the services' own dependencies only: none of the suite's (behave, Allure,
# Locust, Testcontainers), which are extras of pyproject.toml.
FROM python:3.11-slim

# iproute2: `tc` for the contract's network delays (netem), on kernels that have netem.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN python -m venv /opt/hello-dd
ENV PATH=/opt/hello-dd/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1

# Dependencies first, from pyproject.toml alone, so a change to the code does not reinstall them; only
# [project] dependencies, no extras.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install --no-cache-dir --quiet -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY README.md ./
COPY src ./src
# The package without its harness (the suite's code: stack providers, fault proxy, reports).
RUN pip install --no-cache-dir --quiet --no-deps . && rm -rf /app/src /app/build \
 && rm -rf /opt/hello-dd/lib/python3.11/site-packages/hello_dd/harness

RUN useradd --system --uid 10001 --home-dir /app hello-dd && chown hello-dd /app
USER hello-dd
# Listen on the container's interfaces; the port is the service's usual one unless PORT says otherwise.
ENV HOST=0.0.0.0
EXPOSE 8000 8001 8002
CMD ["hello-dd", "serve", "api-gateway"]
