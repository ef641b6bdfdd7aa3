"""core/device.py: seeding is reproducible and private, thread pinning takes effect."""
import numpy as np
import torch

from core.device import pin_threads, seed_everything, seeded_generator


def test_seeded_generator_is_reproducible_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected_global = torch.rand(3)
    torch.manual_seed(123)
    a = torch.randn(4, generator=seeded_generator(7))
    b = torch.randn(4, generator=seeded_generator(7))
    assert torch.equal(a, b) and not torch.equal(a, torch.randn(4, generator=seeded_generator(8)))
    assert torch.equal(torch.rand(3), expected_global)  # the private generator did not consume it


def test_seed_everything_seeds_numpy_and_torch():
    seed_everything(5)
    first = (np.random.rand(), torch.rand(1).item())
    seed_everything(5)
    assert (np.random.rand(), torch.rand(1).item()) == first


def test_pin_threads():
    before = torch.get_num_threads()
    try:
        assert pin_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_keeps_global_rng_restores_the_callers_state():
    from core.device import keeps_global_rng

    @keeps_global_rng
    def seeds_and_draws():
        torch.manual_seed(0)
        return torch.rand(2)

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    inside = seeds_and_draws()
    assert torch.equal(inside, seeds_and_draws())        # seeded inside: reproducible
    assert torch.equal(torch.rand(3), expected)          # the caller's stream is untouched


def test_core_calls_leave_the_callers_threads_and_rng_alone():
    """A notebook sets its own threads and seed; core functions must not change either (issue 27)."""
    from core import grokking
    from core.householder import train_regressor
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        torch.manual_seed(99)
        expected = torch.rand(3)
        torch.manual_seed(99)
        grokking.simulate(P=20, D=10, N=20, steps=20, n_lazy=5, n_align=2, n_align_points=10)
        train_regressor(steps=1, batch=2)
        assert torch.get_num_threads() == 2
        assert torch.equal(torch.rand(3), expected)
    finally:
        torch.set_num_threads(before)
