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
