# The Parallax application image used by docker-compose.yml (UI and worker).
# Build with the translation models inside (default), or without: --build-arg WITH_MODELS=0
# (then run `parallax models install translation` in a container with a volume on /opt/parallax/models).
FROM python:3.11-slim
ARG WITH_MODELS=1
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu . \
    && useradd --create-home parallax && mkdir -p /data && chown parallax /data
# Models live outside /data so that the data volume does not hide them.
ENV PARALLAX_DATA_DIR=/data \
    PARALLAX_NLP_MODELS_DIR=/opt/parallax/models \
    HF_HOME=/opt/parallax/hf
# Converted to CTranslate2 int8 and checked; the downloaded originals are dropped afterwards (~600 MB).
RUN mkdir -p /opt/parallax/models \
    && if [ "$WITH_MODELS" = "1" ]; then parallax models install translation && rm -rf /opt/parallax/hf; fi \
    && chown -R parallax /opt/parallax
USER parallax
EXPOSE 8501
CMD ["parallax", "ui"]
