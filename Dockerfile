# City hotspot: one image for the portal and the RADIUS server.
#   docker build -t city-hotspot .
#   docker run ... city-hotspot portal      (HTTP on 8080)
#   docker run ... city-hotspot radius      (RADIUS on 1812/1813 udp)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HOTSPOT_CONFIG=/app/config/hotspot.toml HOTSPOT_VAR_DIR=/var/lib/hotspot \
    HOTSPOT_RADIUS_JOURNAL_DIR=/var/lib/hotspot/journal

WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY hotspot ./hotspot
COPY portal ./portal
COPY radius ./radius
COPY config ./config
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . \
    && pybabel compile -d portal/translations \
    && useradd --system --home /var/lib/hotspot --create-home hotspot \
    && install -d -m 0700 -o hotspot -g hotspot /var/lib/hotspot/journal

# Acknowledged accounting waits here while the database is away: it must outlive the container.
VOLUME ["/var/lib/hotspot/journal"]

USER hotspot
EXPOSE 8080/tcp 1812/udp 1813/udp
COPY --chmod=755 scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["portal"]
