# One image for the router and the service (docker-compose.yml, docs/deployment.md).
#
# Crossbar loads Raccoon's join-token authenticator (raccoon._authenticator, a
# `function` authenticator) into its router worker, so the router needs raccoon
# importable exactly like the service does: both run from this image.
#
#   docker build -t raccoon .
#
# The application is not in the image: docker-compose.yml mounts its directory
# at /srv/app (build FROM this image and COPY it there for a self-contained one).
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml setup.py constraints.txt README.md ./
COPY raccoon ./raccoon
# The pinned versions of docs/dependencies.md; the router extra brings Crossbar.
RUN pip install -c constraints.txt '.[router]' \
 && useradd --system --uid 10001 --home-dir /srv --shell /usr/sbin/nologin raccoon \
 && mkdir -p /srv/app /srv/crossbar /srv/deploy \
 && chown raccoon:raccoon /srv/crossbar

USER raccoon
WORKDIR /srv
# 8080: the public port (Crossbar); 8081: the router's backend transport;
# 8000: a service's HTTP port (reached by Crossbar's reverse proxy only).
EXPOSE 8080 8081 8000
CMD ["raccoon", "--help"]
