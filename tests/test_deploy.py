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


X_LIBS = ("libXrender.so.1", "libXext.so.6", "libX11.so.6")
LIB_DIR = "/lib/x86_64-linux-gnu"


def page_imports() -> list[str]:
    """Every module a page imports (from its import statements), core and ui included."""
    import ast
    modules = set()
    for page in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(page.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
                modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return sorted(modules)


def _can_mask_libraries() -> bool:
    import shutil
    import subprocess
    if shutil.which("unshare") is None or not all((Path(LIB_DIR) / lib).exists() for lib in X_LIBS):
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.mark.skipif(not _can_mask_libraries(), reason="needs root and unshare to hide the X libraries")
def test_every_page_module_imports_on_a_host_without_x_libraries():
    """A slim host (Streamlit Cloud before packages.txt) has no libXrender: importing rdkit.Chem.Draw fails
    there. Here the X libraries are hidden in a private mount namespace and every module the pages import
    is imported: nothing may need them at import time (drawing code imports them when it draws)."""
    import subprocess
    import sys
    masks = " && ".join(f"mount --bind /dev/null {LIB_DIR}/{lib}" for lib in X_LIBS)
    code = ("import importlib, sys; sys.path.insert(0, '.'); failed = []\n"
            f"for name in {page_imports()!r}:\n"
            "    try:\n        importlib.import_module(name)\n"
            "    except ModuleNotFoundError as exc:\n"
            "        if exc.name != name: failed.append(f'{name}: {exc}')\n"   # a name imported from a module
            "    except Exception as exc:\n        failed.append(f'{name}: {exc}')\n"
            "probe = 'hidden'\ntry:\n    from rdkit.Chem import Draw\n    probe = 'visible'\n"
            "except ImportError:\n    pass\n"
            "from ui import diffspectra_figures as figs\n"  # the page's drawings become a notice, not a crash
            "if not figs.molecule_png('CCO').startswith(b'\\x89PNG'): failed.append('no notice image')\n"
            "print(probe); print(failed)")
    out = subprocess.run(["unshare", "-m", "sh", "-c", f"{masks} && {sys.executable} -c \"$0\"", code],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    probe, failed = out.stdout.strip().splitlines()[-2:]
    assert probe == "hidden", "the X libraries were not hidden: the test would prove nothing"
    assert failed == "[]", failed
