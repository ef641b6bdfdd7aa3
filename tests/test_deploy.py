"""The deployment files: Streamlit Community Cloud installs exactly what is committed, the container too.

Nothing here builds or downloads (CI is offline): the files' shape is checked, and the app's promises
(upload caps) against the server's configuration.
"""
import re
import tomllib

from core.registry import ROOT

CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def requirement_lines(name: str) -> list[str]:
    lines = [line.split(" #")[0].strip() for line in (ROOT / name).read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_the_deployed_requirements_take_the_cpu_torch_wheel_and_the_shared_pins():
    assert requirement_lines("requirements.txt") == [CPU_INDEX, "-r requirements-base.txt"]
    pins = requirement_lines("requirements-base.txt")
    assert "torch==2.13.0" in pins and any(p.startswith("streamlit==") for p in pins)
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", p) for p in pins), "every runtime package pinned"


def test_ci_installs_the_same_pins_without_the_unreachable_index():
    dev = requirement_lines("requirements-dev.txt")
    assert "-r requirements-base.txt" in dev and "-r requirements.txt" not in dev
    assert not any("index-url" in line for line in dev)


def test_no_other_dependency_file_would_take_priority_on_cloud():
    # Cloud's order: uv.lock > Pipfile > environment.yml > requirements.txt > pyproject.toml
    for name in ("uv.lock", "Pipfile", "environment.yml", "pyproject.toml"):
        assert not (ROOT / name).exists(), name


def test_packages_txt_lists_the_x_libraries_rdkit_drawing_links():
    packages = set(requirement_lines("packages.txt"))
    assert {"libxrender1", "libxext6"} <= packages


def test_dockerfile_shape():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[12]-slim\b", text, re.M), "a slim Python base the code runs on"
    assert "pip install --no-cache-dir -r requirements.txt" in text, "exactly the committed requirements"
    assert "packages.txt" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0"), "runs as a non-root user"
    assert re.search(r"^EXPOSE 8501$", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/_stcore/health", text, re.M)
    assert '"streamlit", "run", "app.py"' in text


def test_upload_caps_fit_the_servers_limit():
    limit = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    for page in sorted((ROOT / "pages").glob("*.py")):
        for cap in re.findall(r"max_upload_size=(\d+)", page.read_text()):
            assert int(cap) <= limit, f"{page.name} promises {cap} MB, the server accepts {limit} MB"
        mb = re.search(r"^MAX(?:_UPLOAD)?_MB = (\d+)", page.read_text(), re.M)
        assert mb is None or int(mb.group(1)) <= limit, page.name
