"""ImageNet ResNet-50 (torchvision layout) as a frozen image encoder for the RN50-BERT baselines.

Why this exists: spec models.md §9.2 replaces CLIP's image tower by torchvision's ResNet-50 with
ImageNet weights (or random weights for the "untrained" variant). torchvision is deliberately not a
dependency, so the trunk is written here with torchvision's parameter names (``conv1``, ``bn1``,
``layer1.0.conv1``, ..., ``layer4.2.downsample.1``) so that its ``resnet50-*.pth`` state dicts load
directly (the ``fc`` classifier is not part of the trunk and is ignored).

Features (the :class:`~cliport.models.encoders.ImageEncoder` contract): layer4 map and the list
[stem (64, /4), layer1 (256, /4), layer2 (512, /8), layer3 (1024, /16), layer4 (2048, /32)].
Trunk parameters: 23 508 032.
"""

from __future__ import annotations

import os
import warnings
from typing import Literal

import torch
from torch import Tensor, nn

from cliport.models.pretrained.files import PretrainedWeightsError, load_checked, read_tensors, resolve_path

RN50_WEIGHTS_ENV = "CLIPORT_RN50_WEIGHTS"
RN50_HINT = (
    "give the path of torchvision's ImageNet ResNet-50 state dict (e.g. resnet50-0676ba61.pth or "
    f"resnet50-19c8e357.pth) as weights=PATH or {RN50_WEIGHTS_ENV}=PATH"
)


class TVBottleneck(nn.Module):
    """torchvision's ResNet-50 v1.5 block: the stride sits on the 3x3 convolution."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out = planes * 4
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out)
            )

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)  # (B, 4p, H/s, W/s)
        y = self.relu(self.bn1(self.conv1(x)))  # (B, p, H, W)
        y = self.relu(self.bn2(self.conv2(y)))  # (B, p, H/s, W/s)
        y = self.bn3(self.conv3(y))  # (B, 4p, H/s, W/s)
        return self.relu(y + identity)


class ResNet50Trunk(nn.Module):
    """conv 7x7/2 + BN + ReLU + max-pool 3x3/2, then layer1..layer4 (no pooling head, no fc).

    ``width`` (64 for ResNet-50) and ``layers`` ([3, 4, 6, 3]) can be reduced for tests.
    """

    def __init__(self, layers: tuple[int, int, int, int] = (3, 4, 6, 3), width: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = width
        stages = []
        for i, blocks in enumerate(layers):
            planes = width * 2**i
            stride = 1 if i == 0 else 2
            mods = [TVBottleneck(inplanes, planes, stride)]
            inplanes = planes * 4
            mods += [TVBottleneck(inplanes, planes) for _ in range(1, blocks)]
            stages.append(nn.Sequential(*mods))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.channels = (width * 4, width * 8, width * 16, width * 32)

    def forward_features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (B, w, H/4, W/4)
        feats = [x]
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)  # (B, 4w, H/4, W/4) ... (B, 32w, H/32, W/32)
            feats.append(x)
        return x, feats


class ResNet50Encoder(nn.Module):
    """A frozen :class:`ResNet50Trunk` implementing the ImageEncoder Protocol, run under no-grad.

    BatchNorm: eval-mode running statistics unless ``batchnorm="batch"`` (the original's training-time
    behaviour, as for CLIP; see docs/fidelity.md).
    """

    def __init__(self, trunk: ResNet50Trunk, batchnorm: Literal["eval", "batch"] = "eval") -> None:
        super().__init__()
        if batchnorm not in ("eval", "batch"):
            raise ValueError(f"batchnorm must be 'eval' or 'batch', got {batchnorm!r}")
        self.trunk = trunk.requires_grad_(False)
        self.batchnorm = batchnorm
        self.channels: tuple[int, int, int, int] = trunk.channels
        self.train(False)

    def train(self, mode: bool = True) -> ResNet50Encoder:
        self.training = mode
        self.trunk.train(mode and self.batchnorm == "batch")
        return self

    def forward_features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        with torch.no_grad():
            return self.trunk.forward_features(x.to(self.trunk.conv1.weight.device))

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        return self.forward_features(x)


def load_rn50(
    weights: str | os.PathLike[str] | None = None,
    *,
    allow_random: bool = False,
    device: str | torch.device = "cpu",
    batchnorm: Literal["eval", "batch"] = "eval",
    width: int = 64,
    layers: tuple[int, int, int, int] | list[int] = (3, 4, 6, 3),
    seed: int = 0,
) -> ResNet50Encoder:
    """The ImageNet ResNet-50 encoder from ``weights`` / ``$CLIPORT_RN50_WEIGHTS``.

    Without a file: a clear error, or (``allow_random=True``) random weights from ``seed`` with a warning.
    """
    path = resolve_path(weights, RN50_WEIGHTS_ENV, "weights", RN50_HINT)
    if path is None and not allow_random:
        raise PretrainedWeightsError(f"no ImageNet ResNet-50 weights configured; {RN50_HINT}")
    trunk = _random_trunk(tuple(layers), width, seed)
    if path is None:
        warnings.warn(
            f"ImageNet ResNet-50 is RANDOMLY INITIALISED (allow_random=True); {RN50_HINT}",
            RuntimeWarning,
            stacklevel=2,
        )
    else:
        if path.is_dir():
            raise PretrainedWeightsError(f"{str(path)!r} is a folder; {RN50_HINT}")
        load_checked(trunk, read_tensors(path), str(path), ignore_prefixes=("fc.",))
    return ResNet50Encoder(trunk.to(device), batchnorm=batchnorm)


def load_rn50_untrained(
    *,
    allow_random: bool = True,
    device: str | torch.device = "cpu",
    batchnorm: Literal["eval", "batch"] = "eval",
    width: int = 64,
    layers: tuple[int, int, int, int] | list[int] = (3, 4, 6, 3),
    seed: int = 0,
) -> ResNet50Encoder:
    """The "untrained" baseline's encoder: a randomly initialised ResNet-50 (fixed by ``seed``), frozen.

    Random weights are what this variant is, so no warning; ``allow_random`` is accepted and ignored.
    """
    del allow_random
    return ResNet50Encoder(_random_trunk(tuple(layers), width, seed).to(device), batchnorm=batchnorm)


def _random_trunk(layers: tuple[int, ...], width: int, seed: int) -> ResNet50Trunk:
    """A trunk with torchvision's initialisation (Kaiming-normal convs, unit BN), drawn from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        trunk = ResNet50Trunk(layers, width)  # type: ignore[arg-type]
        for mod in trunk.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
    return trunk.eval()
