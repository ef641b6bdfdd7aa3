"""Timings of the Eigen-CAM page on the CPU, one torch thread: `python bench/bench_eigencam.py [--page]`.

Figures (a) and (b) are CPU times of this process (one thread), so other load on the machine barely moves
them; (c) gives both.

(a) ``eigen_cam`` on 256 images of an 8x8x64 map (the shapes CNN's last block): one batched SVD against a
    Python loop calling it per image, and against grad-cam's algorithm (``get_2d_projection``: numpy, one
    ``np.linalg.svd(full_matrices=True)`` per image, re-typed here because grad-cam cannot be imported beside
    this torch). Warm, median of 5. Also 32x32x16 (block 1), where grad-cam's full U is 1024 x 1024.
    At 8x8x64 LAPACK's per-matrix work dominates, so batching saves only the Python overhead.
(b) the page's per-image computations (three maps + steps, per-class Grad-CAM, FGSM + maps), warm.
(c) with ``--page``: the page through AppTest: the first visit (a fresh AppTest, models loaded from disk), warm
    control changes that compute (a new FGSM epsilon, a new layer) and one served from the cache; wall and
    process CPU time (AppTest runs the script in a thread of this process). Targets: first visit
    <= 5 s, warm change <= 0.3 s. AppTest includes the script run but no browser or network.

"cpu/wall" below 1 means other processes shared the cores during the measurement.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.device import pin_threads  # noqa: E402
from core.eigencam import eigen_cam, evaluate, model, shapes  # noqa: E402


def timed(fn, *args, repeats: int = 5, **kw) -> tuple[float, str]:
    """Median CPU seconds of this process (robust to other load on a shared machine) and the cpu/wall share."""
    fn(*args, **kw)
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn(*args, **kw)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(cpus), f"median wall {statistics.median(walls) * 1e3:.0f} ms, " \
        f"cpu/wall {sum(cpus) / max(sum(walls), 1e-9):.2f}"


def grad_cam_projection(activations: np.ndarray) -> np.ndarray:
    """pytorch-grad-cam's get_2d_projection + BaseCAM's ReLU and scale_cam_image (no resize), per image."""
    out = []
    for a in np.nan_to_num(activations):
        x = a.reshape(a.shape[0], -1).T
        x = x - x.mean(axis=0)
        _, _, vt = np.linalg.svd(x, full_matrices=True)
        p = np.maximum((x @ vt[0, :]).reshape(a.shape[1:]), 0)
        p = p - p.min()
        out.append(p / (1e-7 + p.max()))
    return np.float32(out)


def bench_core() -> None:
    rng = np.random.default_rng(0)
    for c, h in ((64, 8), (16, 32)):
        acts = rng.gamma(1.0, size=(256, c, h, h)).astype(np.float32)
        batched, share = timed(eigen_cam, acts)
        looped, _ = timed(lambda: [eigen_cam(acts[i:i + 1]) for i in range(len(acts))])
        library, _ = timed(grad_cam_projection, acts, repeats=3)
        same = np.abs(eigen_cam(acts, fix_sign=False) - grad_cam_projection(acts)).max()
        print(f"(a) eigen_cam, 256 images of {h}x{h}x{c}: batched {batched * 1e3:.1f} ms ({share}), per-image loop "
              f"{looped * 1e3:.1f} ms (x{looped / batched:.1f}), grad-cam's numpy loop {library * 1e3:.1f} ms "
              f"(x{library / batched:.1f}); max |difference| without the sign rule {same:.1e}")


def bench_live() -> None:
    net = model.build(model.SHAPES_CONFIG, 0).eval()
    image = shapes.render(1, 20_000).images[0]
    ex = evaluate.explain(net, 3, image)
    for name, fn in (("explain (3 maps + steps)", lambda: evaluate.explain(net, 3, image)),
                     ("Grad-CAM for every class", lambda: evaluate.per_class_grad_cam(net, 3, image, 3)),
                     ("FGSM + 3 maps", lambda: evaluate.attack_one(net, 3, image, 0, ex.maps, 0.02))):
        t, share = timed(fn)
        print(f"(b) {name}: {t * 1e3:.1f} ms ({share})")


def bench_page() -> None:
    from pages_harness import open_page

    def run(action) -> str:
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        return result, f"{time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s cpu"

    at, first = run(lambda: open_page("pages/eigencam.py"))
    _, change = run(lambda: at.select_slider(key="eps").set_value(0.01).run())
    _, layer = run(lambda: at.select_slider(key="layer").set_value(3).run())
    _, cached = run(lambda: at.select_slider(key="eps").set_value(0.005).run())
    print(f"(c) page: first visit {first} (includes importing streamlit and torch in this process)")
    print(f"(c) page: warm change of epsilon {change}; of the layer {layer}; back to a cached epsilon {cached}")
    _, second = run(lambda: open_page("pages/eigencam.py"))
    print(f"(c) page: a second visitor (models and results cached) {second}")


def main() -> None:
    pin_threads(1)
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    bench_core()
    bench_live()
    if "--page" in sys.argv[1:]:
        bench_page()


if __name__ == "__main__":
    main()
