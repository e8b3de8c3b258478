"""Input normalisation done inside each network (spec env.md §5), after the modules' zero padding.

Raw inputs are (N, 6, H, W): RGB in 0..255 and the height map (metres) three times. Padded pixels
are normalised too, so they become (0 - mean) / std, exactly as in the original.
"""

from __future__ import annotations

import torch
from torch import Tensor

from cliport import geometry as g

#: mode -> (RGB mean, RGB std); the height channels use DEPTH_MEAN / DEPTH_STD in every mode.
NORMALISATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "transporter": (g.TRANSPORTER_COLOR_MEAN, g.TRANSPORTER_COLOR_STD),
    "clip": (g.CLIP_COLOR_MEAN, g.CLIP_COLOR_STD),
}


def normalize(x: Tensor, mode: str) -> Tensor:
    """(N, 6, H, W) raw -> normalised; RGB is divided by 255 first, heights are not scaled."""
    if mode not in NORMALISATION:
        raise ValueError(f"unknown normalisation {mode!r}; expected one of {sorted(NORMALISATION)}")
    if x.dim() != 4 or x.shape[1] != 6:
        raise ValueError(f"expected (N, 6, H, W) input, got {tuple(x.shape)}")
    color_mean, color_std = NORMALISATION[mode]
    opts = {"dtype": x.dtype, "device": x.device}
    scale = torch.tensor([255.0] * 3 + [1.0] * 3, **opts).view(1, 6, 1, 1)
    mean = torch.tensor([*color_mean, *(g.DEPTH_MEAN,) * 3], **opts).view(1, 6, 1, 1)
    std = torch.tensor([*color_std, *(g.DEPTH_STD,) * 3], **opts).view(1, 6, 1, 1)
    # contiguous: channels-last inputs (e.g. a permuted NHWC image) crash some CPU backward kernels of
    # torch 2.13 (memory corruption seen in the ResNet backward), and NCHW is faster here anyway.
    return ((x / scale - mean) / std).contiguous()  # (N, 6, H, W)
