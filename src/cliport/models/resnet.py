"""Transporter backbones (stream one): ResNet43_8s, ResNet45_10s (lateral), ResNet43_8s_lang (spec §7).

Each takes the raw padded input (N, 6, H, W) and normalises it ("transporter" statistics) itself.
``base`` scales every width (64 = the original); tests use small bases. Module names follow the
original checkpoints: ResNet43_8s is one ``layers`` Sequential; ResNet45_10s has ``conv1``,
``layer1..layer10``, ``conv2``; ResNet43_8s_lang has ``conv1`` (encoder), ``decoder1..3``, ``conv2``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from cliport.models.blocks import conv_identity, output_head
from cliport.models.encoders import TextFeatures
from cliport.models.fusion import make_fusion
from cliport.models.preprocess import normalize
from cliport.models.relu import ReLU


def _stem(in_dim: int, out: int, batchnorm: bool) -> list[nn.Module]:
    return [
        nn.Conv2d(in_dim, out, kernel_size=3, padding=1),  # with bias
        nn.BatchNorm2d(out) if batchnorm else nn.Identity(),
        ReLU(),
    ]


def _resnet43_encoder(in_dim: int, b: int, batchnorm: bool) -> list[nn.Module]:
    """conv1 + four stages: -> (8b, H/8, W/8)."""
    return [
        *_stem(in_dim, b, batchnorm),
        *conv_identity(b, b, batchnorm=batchnorm),
        *conv_identity(b, 2 * b, stride=2, batchnorm=batchnorm),
        *conv_identity(2 * b, 4 * b, stride=2, batchnorm=batchnorm),
        *conv_identity(4 * b, 8 * b, stride=2, batchnorm=batchnorm),
    ]


class ResNet43_8s(nn.Module):
    """Encoder to 1/8 resolution and back; (N, 6, H, W) raw -> (N, d, H, W). H, W divisible by 8."""

    lateral = False
    uses_language = False

    def __init__(self, in_dim: int = 6, out_dim: int = 1, base: int = 64, batchnorm: bool = False) -> None:
        super().__init__()
        b = base
        self.layers = nn.Sequential(
            *_resnet43_encoder(in_dim, b, batchnorm),
            *conv_identity(8 * b, 4 * b, batchnorm=batchnorm, upsample=True),
            *conv_identity(4 * b, 2 * b, batchnorm=batchnorm, upsample=True),
            *conv_identity(2 * b, b, batchnorm=batchnorm, upsample=True),
            *output_head(b, b // 4, out_dim, batchnorm=batchnorm),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(normalize(x, "transporter"))  # (N, d, H, W)


class ResNet45_10s(nn.Module):
    """Encoder to 1/16 and decoder to x2, resized back; returns (output, 6 lateral maps) (spec §7.2)."""

    lateral = True
    uses_language = False

    def __init__(self, in_dim: int = 6, out_dim: int = 1, base: int = 64, batchnorm: bool = False) -> None:
        super().__init__()
        b = base
        self.conv1 = nn.Sequential(*_stem(in_dim, b, batchnorm))
        self.layer1 = conv_identity(b, b, batchnorm=batchnorm)
        self.layer2 = conv_identity(b, 2 * b, stride=2, batchnorm=batchnorm)
        self.layer3 = conv_identity(2 * b, 4 * b, stride=2, batchnorm=batchnorm)
        self.layer4 = conv_identity(4 * b, 8 * b, stride=2, batchnorm=batchnorm)
        self.layer5 = conv_identity(8 * b, 16 * b, stride=2, batchnorm=batchnorm)
        self.layer6 = conv_identity(16 * b, 8 * b, batchnorm=batchnorm, upsample=True)
        self.layer7 = conv_identity(8 * b, 4 * b, batchnorm=batchnorm, upsample=True)
        self.layer8 = conv_identity(4 * b, 2 * b, batchnorm=batchnorm, upsample=True)
        self.layer9 = conv_identity(2 * b, b, batchnorm=batchnorm, upsample=True)
        self.layer10 = conv_identity(b, b // 2, batchnorm=batchnorm, upsample=True)
        self.conv2 = output_head(b // 2, b // 4, out_dim, batchnorm=batchnorm)
        #: Channels of the lateral maps, in order (index -6 ... -1).
        self.lateral_channels = (16 * b, 8 * b, 4 * b, 2 * b, b, b // 2)

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        size = x.shape[-2:]
        x = normalize(x, "transporter")
        x = self.conv1(x)  # (N, b, H, W)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4, self.layer5):
            x = layer(x)  # ... -> (N, 16b, H/16, W/16)
        lat: list[Tensor] = []
        for layer in (self.layer6, self.layer7, self.layer8, self.layer9, self.layer10, self.conv2):
            lat.append(x)
            x = layer(x)  # ... -> (N, d, 2H, 2W)
        out = F.interpolate(x, size=size, mode="bilinear", align_corners=False)  # (N, d, H, W)
        return out, lat


class ResNet43_8s_lang(nn.Module):
    """ResNet43_8s whose three decoder stages are modulated by the sentence vector (spec §7.3)."""

    lateral = False
    uses_language = True

    def __init__(
        self, in_dim: int = 6, out_dim: int = 1, base: int = 64, batchnorm: bool = False,
        text_dims: tuple[int, int] = (768, 768), text_fc_dim: int | None = 1024,
        lang_fusion_type: str = "mult",
    ) -> None:
        super().__init__()
        b = base
        self.conv1 = nn.Sequential(*_resnet43_encoder(in_dim, b, batchnorm))
        self.decoder1 = conv_identity(8 * b, 4 * b, batchnorm=batchnorm, upsample=True)
        self.decoder2 = conv_identity(4 * b, 2 * b, batchnorm=batchnorm, upsample=True)
        self.decoder3 = conv_identity(2 * b, b, batchnorm=batchnorm, upsample=True)
        self.conv2 = output_head(b, b // 4, out_dim, batchnorm=batchnorm)
        self.word_level = "word" in lang_fusion_type
        sentence_dim, token_dim = text_dims
        self.text_fc = nn.Linear(sentence_dim, text_fc_dim) if text_fc_dim else None
        proj_in = token_dim if self.word_level else (text_fc_dim or sentence_dim)
        self.lang_fuser1 = make_fusion(lang_fusion_type, 8 * b)
        self.lang_fuser2 = make_fusion(lang_fusion_type, 4 * b)
        self.lang_fuser3 = make_fusion(lang_fusion_type, 2 * b)
        self.lang_proj1 = nn.Linear(proj_in, 8 * b)
        self.lang_proj2 = nn.Linear(proj_in, 4 * b)
        self.lang_proj3 = nn.Linear(proj_in, 2 * b)

    def forward(self, x: Tensor, lang: TextFeatures) -> Tensor:
        x = self.conv1(normalize(x, "transporter"))  # (N, 8b, H/8, W/8)
        sentence = self.text_fc(lang.sentence) if self.text_fc is not None else lang.sentence
        l_in = lang.tokens if self.word_level else sentence
        l_in = l_in.to(x.dtype)
        x = self.decoder1(self.lang_fuser1(x, l_in, lang.mask, self.lang_proj1))  # (N, 4b, H/4, W/4)
        x = self.decoder2(self.lang_fuser2(x, l_in, lang.mask, self.lang_proj2))  # (N, 2b, H/2, W/2)
        x = self.decoder3(self.lang_fuser3(x, l_in, lang.mask, self.lang_proj3))  # (N, b, H, W)
        return self.conv2(x)  # (N, d, H, W)
