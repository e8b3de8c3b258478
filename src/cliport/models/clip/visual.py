"""CLIP's image tower for the RN50 checkpoint: OpenAI's "modified ResNet" (spec models.md §8.1).

Why this exists: CLIPort's stream two uses the *feature maps* of this trunk (layer1..layer4), not the
pooled embedding, so we need our own module with a feature-returning forward. Sub-module and parameter
names follow OpenAI's released state dict exactly (``conv1``, ``bn1``, ..., ``layer3.5.downsample.1``,
``attnpool.k_proj``) so the released weights load without renaming.

Differences from torchvision's ResNet-50: a three-convolution stem with an average pool instead of a
7x7 convolution and a max pool; stride-2 blocks downsample with an average pool *before* the last 1x1
convolution (and in the shortcut) instead of strided convolutions; an attention-pooling head instead of
global average pooling. The head exists (it is part of the weights and of the parameter count) but
CLIPort does not use it.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> [avgpool] -> 1x1 (x4 channels) with an avgpool+1x1 shortcut when shapes change."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu3 = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride > 1 or inplanes != out:
            # The parameter-free pool is named "-1" so the weights are downsample.0 (conv) and
            # downsample.1 (BN), as in OpenAI's state dict.
            self.downsample = nn.Sequential(
                OrderedDict(
                    [
                        ("-1", nn.AvgPool2d(stride) if stride > 1 else nn.Identity()),
                        ("0", nn.Conv2d(inplanes, out, 1, bias=False)),
                        ("1", nn.BatchNorm2d(out)),
                    ]
                )
            )

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)  # (B, 4p, H/s, W/s)
        y = self.relu1(self.bn1(self.conv1(x)))  # (B, p, H, W)
        y = self.relu2(self.bn2(self.conv2(y)))  # (B, p, H, W)
        y = self.bn3(self.conv3(self.avgpool(y)))  # (B, 4p, H/s, W/s)
        return self.relu3(y + identity)


class AttentionPool2d(nn.Module):
    """Multi-head attention of the mean token (query) over [mean; all positions] (keys/values).

    Learned positional embeddings for ``spacial_dim**2 + 1`` tokens; output = projection of the
    mean token's attended value, (B, output_dim). Names match OpenAI's ``attnpool.*`` keys.
    """

    def __init__(self, spacial_dim: int, embed_dim: int, num_heads: int, output_dim: int) -> None:
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(spacial_dim**2 + 1, embed_dim) / embed_dim**0.5)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim)
        self.num_heads = num_heads

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (B, HW, C)
        tokens = torch.cat([tokens.mean(dim=1, keepdim=True), tokens], dim=1)  # (B, HW+1, C)
        if tokens.shape[1] != self.positional_embedding.shape[0]:
            raise ValueError(
                f"attention pooling expects a {round((self.positional_embedding.shape[0] - 1) ** 0.5)}^2 "
                f"feature map (224-pixel input), got {h}x{w}; CLIPort uses forward_features() instead"
            )
        tokens = tokens + self.positional_embedding.to(tokens.dtype)  # (B, N, C)
        nh, hd = self.num_heads, c // self.num_heads
        q = self.q_proj(tokens[:, :1]).view(b, 1, nh, hd).transpose(1, 2)  # (B, nh, 1, hd)
        k = self.k_proj(tokens).view(b, -1, nh, hd).transpose(1, 2)  # (B, nh, N, hd)
        v = self.v_proj(tokens).view(b, -1, nh, hd).transpose(1, 2)  # (B, nh, N, hd)
        out = F.scaled_dot_product_attention(q, k, v)  # (B, nh, 1, hd)
        return self.c_proj(out.transpose(1, 2).reshape(b, c))  # (B, output_dim)


class ModifiedResNet(nn.Module):
    """CLIP's RN50-style image trunk + attention pool.

    ``width`` is the stem's output width (64 for RN50; the trunk ends with ``32 * width`` channels);
    ``layers`` the block counts per stage ([3, 4, 6, 3] for RN50). Small widths build tiny copies for tests.
    """

    def __init__(
        self,
        layers: tuple[int, int, int, int] = (3, 4, 6, 3),
        output_dim: int = 1024,
        heads: int = 32,
        input_resolution: int = 224,
        width: int = 64,
    ) -> None:
        super().__init__()
        self.input_resolution = input_resolution
        self.output_dim = output_dim
        # Stem: three 3x3 convolutions (the first with stride 2), then a 2x2 average pool.
        self.conv1 = nn.Conv2d(3, width // 2, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width // 2)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width // 2, width // 2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width // 2)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(width // 2, width, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.relu3 = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(2)

        self._inplanes = width
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(width * 8, layers[3], stride=2)

        embed_dim = width * 32
        self.attnpool = AttentionPool2d(input_resolution // 32, embed_dim, heads, output_dim)
        #: Channels of layer1..layer4 (the :class:`cliport.models.encoders.ImageEncoder` contract).
        self.channels = (width * 4, width * 8, width * 16, width * 32)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        mods = [Bottleneck(self._inplanes, planes, stride)]
        self._inplanes = planes * Bottleneck.expansion
        mods += [Bottleneck(self._inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    @property
    def dtype(self) -> torch.dtype:
        return self.conv1.weight.dtype

    def forward_features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """(B, 3, H, W) normalised RGB -> (layer4 map, 8 intermediate maps) as in spec §8.1.

        The list holds the three stem convolution outputs, the stem pool output, then layer1..layer4
        (so its last four entries are the decoder's skips). Maps are in the trunk's dtype.
        """
        x = x.to(self.dtype)
        feats: list[Tensor] = []
        x = self.relu1(self.bn1(self.conv1(x)))  # (B, w/2, H/2, W/2)
        feats.append(x)
        x = self.relu2(self.bn2(self.conv2(x)))  # (B, w/2, H/2, W/2)
        feats.append(x)
        x = self.relu3(self.bn3(self.conv3(x)))  # (B, w, H/2, W/2)
        feats.append(x)
        x = self.avgpool(x)  # (B, w, H/4, W/4)
        feats.append(x)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)  # (B, 4w, H/4, W/4) ... (B, 32w, H/32, W/32)
            feats.append(x)
        return x, feats

    def forward(self, x: Tensor) -> Tensor:
        """(B, 3, R, R) at the input resolution -> pooled image embedding (B, output_dim)."""
        return self.attnpool(self.forward_features(x)[0])
