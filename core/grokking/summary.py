"""Grokking (Kumar et al., ICLR 2024): the numbers the page's sentences are built from.

Pure functions of a run or a phase diagram: when the network and its linearisation fit the training set,
what their test losses are then, how far the NTK's alignment moved against the ideal rich solution's, and
why each blank cell of the phase diagram is blank. No training here.
"""
from __future__ import annotations

import numpy as np

from .dynamics import GrokRun, PhaseDiagram, first_below


def lazy_then_rich(run: GrokRun) -> dict:
    """The lazy-to-rich story in numbers.

    t_train / t_test: the network's first steps with train / test loss below the threshold; lazy_fit: the
    linearised network's first step with train loss below it (nan if never within the run);
    test_at_fit / lazy_test_at_fit: both test losses when the network fits; lazy_test_end: the linearised
    network's final test loss (its kernel-level generalisation); lazy_fits_first: the linearised network
    fits the training set before the network's test loss falls (the page's "fits with the wrong features,
    only later rich").
    """
    lazy_fit_index = first_below(run.lazy_train_loss, run.threshold)
    lazy_fit = float(run.lazy_step[int(lazy_fit_index)]) if np.isfinite(lazy_fit_index) else float("nan")
    at_fit = int(run.t_train) if np.isfinite(run.t_train) else len(run.step) - 1
    lazy_at_fit = int(np.searchsorted(run.lazy_step, at_fit).clip(0, len(run.lazy_step) - 1))
    return dict(t_train=run.t_train, t_test=run.t_test, lazy_fit=lazy_fit,
                test_at_fit=float(run.test_loss[at_fit]), lazy_train_at_fit=float(run.lazy_train_loss[lazy_at_fit]),
                lazy_test_at_fit=float(run.lazy_test_loss[lazy_at_fit]),
                lazy_train_end=float(run.lazy_train_loss[-1]), lazy_test_end=float(run.lazy_test_loss[-1]),
                kernel_loss=run.kernel_loss, steps=int(run.step[-1]),
                lazy_fits_first=bool(np.isfinite(lazy_fit) and (not np.isfinite(run.t_test) or lazy_fit < run.t_test)))


def alignment_change(run: GrokRun) -> dict:
    """Alignment at the start and the end of the run, the absolute change, and the ideal rich solution's."""
    start, end = float(run.alignment[0]), float(run.alignment[-1])
    return dict(start=start, end=end, change=end - start, ideal=run.ideal_alignment,
                fraction=(end - start) / (run.ideal_alignment - start) if run.ideal_alignment != start else np.nan)


BLANK_KINDS = ("diverged", "converged above the threshold", "ran out of steps", "train never below the threshold")


def blank_cells(pd_: PhaseDiagram) -> dict:
    """Why each blank cell (no amount of grokking) is blank: kind -> boolean mask over the grid.

    diverged: the loss blew up. converged above the threshold: the paper's stopping rule ended the run
    (both losses flat to 1e-5 over 5 steps, test below its start) with the test loss still above the
    threshold, i.e. it partly generalised and stopped improving. ran out of steps: still moving at the last
    step, test above the threshold. train never below the threshold: the test crossed but the train did not.
    """
    blank = ~np.isfinite(pd_.amount)
    diverged = blank & ~np.isfinite(pd_.final_test)
    no_test = blank & ~diverged & ~np.isfinite(pd_.t_test)
    stopped_early = pd_.stop_step < pd_.steps
    return {"diverged": diverged, "converged above the threshold": no_test & stopped_early,
            "ran out of steps": no_test & ~stopped_early,
            "train never below the threshold": blank & ~diverged & np.isfinite(pd_.t_test)}
