# Eigen Atlas for self-hosting (a lab server, a Space that runs Docker): the committed requirements only.
#   docker build -t eigen-atlas . && docker run -p 8501:8501 eigen-atlas     ->  http://localhost:8501
FROM python:3.12-slim

# System libraries the imports need (packages.txt, the same list Streamlit Community Cloud installs):
# rdkit's drawing code links libXrender / libXext / libX11.
COPY packages.txt /tmp/packages.txt
RUN apt-get update \
    && xargs -a /tmp/packages.txt apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/*

# Exactly the committed requirements: the runtime pins + PyTorch's CPU wheel index.
WORKDIR /app
COPY requirements.txt requirements-base.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN useradd --create-home --uid 1000 atlas && chown -R atlas /app
USER atlas

# One math thread per process (ui/threads.py); several sessions share the container's cores.
ENV EIGEN_ATLAS_THREADS=1
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health').read() != b'ok')"
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.fileWatcherType=none"]
