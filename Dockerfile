# The Parallax application image used by docker-compose.yml (UI and worker).
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu . \
    && useradd --create-home parallax && mkdir -p /data && chown parallax /data
USER parallax
ENV PARALLAX_DATA_DIR=/data
EXPOSE 8501
CMD ["parallax", "ui"]
