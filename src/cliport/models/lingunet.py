"""Stream-two decoders over a frozen image encoder: CLIPLingUNetLat and its variants (spec §9).

One class covers the U-Net family, switched by two flags (spec §9.2):

| class | lateral | language |
|---|---|---|
| CLIPLingUNetLat / RN50BertLingUNetLat | yes | mult (sentence) |
| CLIPLingUNet / RN50BertLingUNet / UntrainedRN50BertLingUNet | no | mult |
| CLIPUNetLat | yes | none |
| CLIPUNet / RN50BertUNet | no | none |
| CLIPFilmLingUNet | yes | FiLM |

The RN50-BERT decoders are the same modules built with ``text_fc_dim=1024`` (DistilBERT's 768-d
sentence -> 1024, trainable). The frozen encoder is a constructor argument that is *not* registered
(never in ``state_dict()``/``parameters()``) and runs under no-grad. Widths derive from
``encoder.channels`` and ``lat_channels`` so tiny encoders give tiny decoders for tests.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cliport.models.blocks import Up, conv_identity
from cliport.models.encoders import ImageEncoder, TextFeatures
from cliport.models.feature_cache import cached
from cliport.models.fusion import FusionConvLat, make_fusion
from cliport.models.preprocess import normalize
from cliport.models.relu import ReLU
from cliport.models.small_map_conv import SmallMapConv2d

#: ResNet45_10s lateral channels at full width (spec §7.2).
DEFAULT_LAT_CHANNELS = (1024, 512, 256, 128, 64, 32)


class _FrozenEncoderMixin(nn.Module):
    """Holds the shared frozen image encoder without registering it."""

    def _set_encoder(self, encoder: ImageEncoder) -> None:
        if not hasattr(encoder, "forward_features") or not hasattr(encoder, "channels"):
            raise TypeError("encoder must implement cliport.models.encoders.ImageEncoder")
        object.__setattr__(self, "_image_encoder", encoder)  # bypasses nn.Module registration

    @property
    def image_encoder(self) -> ImageEncoder:
        return self._image_encoder  # type: ignore[attr-defined]

    def encode_image(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Raw (N, 6, H, W) -> CLIP-normalised RGB -> (bottleneck float, skips) without gradients."""
        def compute(raw: Tensor) -> tuple[Tensor, list[Tensor]]:
            rgb = normalize(raw, "clip")[:, :3]  # (N, 3, H, W)
            with torch.no_grad():
                bottleneck, skips = self.image_encoder.forward_features(rgb)
            return bottleneck, list(skips)

        # Once per input tensor within a training step (reused by a checkpointed stream's recompute).
        bottleneck, skips = cached(self.image_encoder, x, compute)
        return bottleneck.to(x.dtype), list(skips)


class CLIPLingUNetLat(_FrozenEncoderMixin):
    """U-Net decoder over the encoder's layer4..layer1 maps, with optional laterals and language."""

    lateral = True
    uses_language = True

    def __init__(
        self, encoder: ImageEncoder, out_dim: int = 1, *, lateral: bool | None = None,
        language: str | None = "mult", lat_channels: tuple[int, ...] = DEFAULT_LAT_CHANNELS,
        text_dims: tuple[int, int] = (1024, 512), text_fc_dim: int | None = None, batchnorm: bool = False,
    ) -> None:
        super().__init__()
        self._set_encoder(encoder)
        self.lateral = type(self).lateral if lateral is None else lateral
        self.uses_language = language is not None
        self.language = language
        c1, c2, c3, c4 = encoder.channels
        w = c4 // 2  # 1024 at full size; the decoder's widths are w, w/2, ..., w/64
        self.word_level = language is not None and "word" in language
        if language is not None:
            sentence_dim, token_dim = text_dims
            self.text_fc = nn.Linear(sentence_dim, text_fc_dim) if text_fc_dim else None
            proj_in = token_dim if self.word_level else (text_fc_dim or sentence_dim)
            if language == "film":
                for k, c in enumerate((w, w // 2, w // 4), start=1):
                    setattr(self, f"lang_fuser{k}", make_fusion("film", c))
                    setattr(self, f"lang_gamma{k}", nn.Linear(proj_in, c))
                    setattr(self, f"lang_beta{k}", nn.Linear(proj_in, c))
            else:
                for k, c in enumerate((w, w // 2, w // 4), start=1):
                    setattr(self, f"lang_fuser{k}", make_fusion(language, c))
                    setattr(self, f"lang_proj{k}", nn.Linear(proj_in, c))
        self.conv1 = nn.Sequential(
            SmallMapConv2d(c4, w, kernel_size=3, padding=1, bias=False), ReLU()
        )
        self.up1 = Up(w + c3, w // 2)
        self.up2 = Up(w // 2 + c2, w // 4)
        self.up3 = Up(w // 4 + c1, w // 8)
        self.layer1 = conv_identity(w // 8, w // 16, batchnorm=batchnorm, upsample=True)
        self.layer2 = conv_identity(w // 16, w // 32, batchnorm=batchnorm, upsample=True)
        self.layer3 = conv_identity(w // 32, w // 64, batchnorm=batchnorm, upsample=True)
        if self.lateral:
            outs = (w // 2, w // 4, w // 8, w // 16, w // 32, w // 64)
            for k, (c, lc) in enumerate(zip(outs, lat_channels, strict=True), start=1):
                setattr(self, f"lat_fusion{k}", FusionConvLat(c + lc, c))
        self.conv2 = nn.Sequential(nn.Conv2d(w // 64, out_dim, kernel_size=1))  # with bias

    def _lang_fuse(self, k: int, x: Tensor, l_in: Tensor | None, mask: Tensor | None) -> Tensor:
        if l_in is None:
            return x
        fuser = getattr(self, f"lang_fuser{k}")
        if self.language == "film":
            return fuser(x, l_in, mask, (getattr(self, f"lang_gamma{k}"), getattr(self, f"lang_beta{k}")))
        return fuser(x, l_in, mask, getattr(self, f"lang_proj{k}"))

    def _lat_fuse(self, k: int, x: Tensor, lat: list[Tensor] | None) -> Tensor:
        if not self.lateral:
            return x
        return getattr(self, f"lat_fusion{k}")(x, lat[k - 7])  # lat[-6] ... lat[-1]

    def forward(self, x: Tensor, lat: list[Tensor] | None = None, lang: TextFeatures | None = None) -> Tensor:
        """Raw (N, 6, H, W) [+ lateral maps] [+ text features of the N samples] -> (N, d, H, W)."""
        if self.lateral and lat is None:
            raise ValueError(f"{type(self).__name__} needs the lateral maps of stream one")
        if self.uses_language and lang is None:
            raise ValueError(f"{type(self).__name__} needs text features")
        size = x.shape[-2:]
        x, im = self.encode_image(x)  # (N, C4, H/32, W/32)
        l_in = mask = None
        if self.uses_language:
            sentence = lang.sentence if self.text_fc is None else self.text_fc(lang.sentence.to(x.dtype))
            l_in = (lang.tokens if self.word_level else sentence).to(x.dtype)
            mask = lang.mask
        x = self.conv1(x)  # (N, w, H/32, W/32)
        x = self._lat_fuse(1, self.up1(self._lang_fuse(1, x, l_in, mask), im[-2]), lat)  # (N, w/2, /16)
        x = self._lat_fuse(2, self.up2(self._lang_fuse(2, x, l_in, mask), im[-3]), lat)  # (N, w/4, /8)
        x = self._lat_fuse(3, self.up3(self._lang_fuse(3, x, l_in, mask), im[-4]), lat)  # (N, w/8, /4)
        x = self._lat_fuse(4, self.layer1(x), lat)  # (N, w/16, /2)
        x = self._lat_fuse(5, self.layer2(x), lat)  # (N, w/32, /1)
        x = self._lat_fuse(6, self.layer3(x), lat)  # (N, w/64, x2)
        x = self.conv2(x)  # (N, d, 2H, 2W)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)  # (N, d, H, W)


class CLIPLingUNet(CLIPLingUNetLat):
    lateral = False

    def __init__(self, encoder: ImageEncoder, out_dim: int = 1, **kw) -> None:
        super().__init__(encoder, out_dim, lateral=False, **kw)


class CLIPUNetLat(CLIPLingUNetLat):
    uses_language = False

    def __init__(self, encoder: ImageEncoder, out_dim: int = 1, **kw) -> None:
        super().__init__(encoder, out_dim, lateral=True, language=None, **kw)


class CLIPUNet(CLIPLingUNetLat):
    lateral = False
    uses_language = False

    def __init__(self, encoder: ImageEncoder, out_dim: int = 1, **kw) -> None:
        super().__init__(encoder, out_dim, lateral=False, language=None, **kw)


class CLIPFilmLingUNet(CLIPLingUNetLat):
    def __init__(self, encoder: ImageEncoder, out_dim: int = 1, **kw) -> None:
        super().__init__(encoder, out_dim, lateral=True, language="film", **kw)


def _bert(cls: type[CLIPLingUNetLat], name: str) -> type[CLIPLingUNetLat]:
    """The RN50-BERT decoders: the CLIP decoder with DistilBERT's sentence mapped 768 -> 1024."""

    def __init__(self, encoder: ImageEncoder, out_dim: int = 1, **kw) -> None:
        kw.setdefault("text_dims", (768, 768))
        if cls.uses_language:
            kw.setdefault("text_fc_dim", 1024)
        cls.__init__(self, encoder, out_dim, **kw)

    return type(name, (cls,), {"__init__": __init__, "__doc__": f"{cls.__name__} over RN50 + DistilBERT."})


RN50BertLingUNetLat = _bert(CLIPLingUNetLat, "RN50BertLingUNetLat")
RN50BertLingUNet = _bert(CLIPLingUNet, "RN50BertLingUNet")
RN50BertUNet = _bert(CLIPUNet, "RN50BertUNet")
#: Same decoder; the agent builds it with randomly initialised (frozen) encoders.
UntrainedRN50BertLingUNet = _bert(CLIPLingUNet, "UntrainedRN50BertLingUNet")


class CLIPWithoutSkipConnections(_FrozenEncoderMixin):
    """Plain decoder from the layer4 map, no skips, no laterals, no language (spec §9.2)."""

    lateral = False
    uses_language = False

    def __init__(self, encoder: ImageEncoder, out_dim: int = 1, batchnorm: bool = False) -> None:
        super().__init__()
        self._set_encoder(encoder)
        c4 = encoder.channels[3]
        w = c4 // 2  # 1024 at full size
        bn = batchnorm
        self.layers = nn.Sequential(
            SmallMapConv2d(c4, w, kernel_size=3, padding=1, bias=False), ReLU(),
            nn.UpsamplingBilinear2d(scale_factor=2),
            *conv_identity(w, w // 2, batchnorm=bn), *conv_identity(w // 2, w // 2, batchnorm=bn),
            nn.UpsamplingBilinear2d(scale_factor=2),
            *conv_identity(w // 2, w // 8, batchnorm=bn), *conv_identity(w // 8, w // 8, batchnorm=bn),
            nn.UpsamplingBilinear2d(scale_factor=2),
            *conv_identity(w // 8, w // 16, batchnorm=bn), *conv_identity(w // 16, w // 16, batchnorm=bn),
            nn.UpsamplingBilinear2d(scale_factor=2),
            *conv_identity(w // 16, w // 32, batchnorm=bn), *conv_identity(w // 32, w // 32, batchnorm=bn),
            nn.UpsamplingBilinear2d(scale_factor=2),
            nn.Conv2d(w // 32, out_dim, kernel_size=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        size = x.shape[-2:]
        x, _ = self.encode_image(x)  # (N, C4, H/32, W/32)
        x = self.layers(x)  # (N, d, H, W) up to rounding of H/32
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)
