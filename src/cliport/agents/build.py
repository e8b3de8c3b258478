"""Registry row + config + frozen encoders -> the pick and place modules of an agent.

Why this exists: the original has one Python class per agent (and per stream combination); here one
table maps each stream network name (the original's config names) to a constructor, and one function
per module layout assembles pick and place from them (models.md §1-§4, §10). Nothing else in the
package knows which network a name means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from cliport.agents.config import AgentConfig
from cliport.agents.encoders import shape_only_encoders
from cliport.agents.frozen import FrozenEncoders
from cliport.agents.registry import AgentSpec, agent_spec
from cliport.errors import ConfigError
from cliport.models import lingunet, resnet
from cliport.models.attention import PickModule
from cliport.models.image_goal import PickImageGoal, PlaceImageGoal
from cliport.models.transport import PLAIN_NAMES, TWO_STREAM_NAMES, PlaceModule

#: Keys accepted in ``AgentConfig.model_options`` (architecture knobs; empty = the paper's networks).
MODEL_OPTIONS = {
    "resnet_base": "width of the Transporter ResNets (64 = paper; smaller for tests)",
    "rotation_mode": "image rotation of the modules: 'exact' or 'kornia' (see cliport.models.rotation)",
    "correlation": "place correlation: 'auto', 'fft' or 'direct'",
}

PICK_DIM = 1
#: Output channels of key and query networks (= correlation kernel channels, models.md §3).
KERNEL_DIM = 3


@dataclass(frozen=True)
class StreamContext:
    """What a stream constructor needs besides its output size."""

    config: AgentConfig
    encoders: FrozenEncoders
    base: int

    @property
    def lat_channels(self) -> tuple[int, ...]:
        b = self.base
        return (16 * b, 8 * b, 4 * b, 2 * b, b, b // 2)  # ResNet45_10s laterals (models.md §7.2)

    def text_dims(self) -> tuple[int, int]:
        text = self.encoders.text
        if text is None:
            raise ConfigError(f"agent {self.config.agent!r} needs a text encoder but has none")
        return int(text.sentence_dim), int(text.token_dim)

    def image(self):
        if self.encoders.image is None:
            raise ConfigError(f"agent {self.config.agent!r} needs an image encoder but has none")
        return self.encoders.image


def _resnet43(ctx: StreamContext, d: int) -> nn.Module:
    return resnet.ResNet43_8s(6, d, base=ctx.base, batchnorm=ctx.config.batchnorm)


def _resnet45(ctx: StreamContext, d: int) -> nn.Module:
    return resnet.ResNet45_10s(6, d, base=ctx.base, batchnorm=ctx.config.batchnorm)


def _resnet43_lang(ctx: StreamContext, d: int) -> nn.Module:
    return resnet.ResNet43_8s_lang(
        6,
        d,
        base=ctx.base,
        batchnorm=ctx.config.batchnorm,
        text_dims=ctx.text_dims(),
        text_fc_dim=1024,
        lang_fusion_type=ctx.config.lang_fusion_type,
    )


def _unet(
    cls: type, lateral: bool, language: bool, bert: bool = False
) -> Callable[[StreamContext, int], nn.Module]:
    def make(ctx: StreamContext, d: int) -> nn.Module:
        kw: dict = {"batchnorm": ctx.config.batchnorm}
        if lateral:
            kw["lat_channels"] = ctx.lat_channels
        if language:
            kw["text_dims"] = ctx.text_dims()
            if not bert and cls is not lingunet.CLIPFilmLingUNet:
                kw["language"] = ctx.config.lang_fusion_type
        return cls(ctx.image(), d, **kw)

    return make


def _woskip(ctx: StreamContext, d: int) -> nn.Module:
    return lingunet.CLIPWithoutSkipConnections(ctx.image(), d, batchnorm=ctx.config.batchnorm)


#: Stream network name (the original's config names) -> constructor(context, output channels).
STREAMS: dict[str, Callable[[StreamContext, int], nn.Module]] = {
    "plain_resnet": _resnet43,
    "plain_resnet_lat": _resnet45,
    "plain_resnet_lang": _resnet43_lang,
    "clip_lingunet_lat": _unet(lingunet.CLIPLingUNetLat, lateral=True, language=True),
    "clip_lingunet": _unet(lingunet.CLIPLingUNet, lateral=False, language=True),
    "clip_unet_lat": _unet(lingunet.CLIPUNetLat, lateral=True, language=False),
    "clip_unet": _unet(lingunet.CLIPUNet, lateral=False, language=False),
    "clip_woskip": _woskip,
    "clip_film_lingunet_lat": _unet(lingunet.CLIPFilmLingUNet, lateral=True, language=True),
    "rn50_bert_lingunet_lat": _unet(lingunet.RN50BertLingUNetLat, lateral=True, language=True, bert=True),
    "rn50_bert_lingunet": _unet(lingunet.RN50BertLingUNet, lateral=False, language=True, bert=True),
    "rn50_bert_unet": _unet(lingunet.RN50BertUNet, lateral=False, language=False, bert=True),
    "untrained_rn50_bert_lingunet": _unet(
        lingunet.UntrainedRN50BertLingUNet, lateral=False, language=True, bert=True
    ),
}


def _options(config: AgentConfig) -> dict:
    unknown = sorted(set(config.model_options) - set(MODEL_OPTIONS))
    if unknown:
        raise ConfigError(
            f"unknown model_options key(s) {', '.join(unknown)}; known: {', '.join(MODEL_OPTIONS)}"
        )
    return config.model_options


def build_modules(config: AgentConfig, encoders: FrozenEncoders) -> tuple[nn.Module, nn.Module]:
    """(pick module, place module) of ``config.agent`` over the shared frozen ``encoders``."""
    spec: AgentSpec = agent_spec(config.agent)
    opts = _options(config)
    ctx = StreamContext(config, encoders, int(opts.get("resnet_base", 64)))
    mods = {k: opts[k] for k in ("rotation_mode",) if k in opts}
    place_kw = dict(mods, n_rotations=config.n_rotations, crop_size=config.crop_size)
    if "correlation" in opts:
        place_kw["correlation"] = opts["correlation"]
    one = STREAMS[spec.stream_one]
    if spec.layout == "two_stream":
        two = STREAMS[spec.stream_two]
        pick = PickModule(
            one(ctx, PICK_DIM), two(ctx, PICK_DIM), fusion=config.attn_stream_fusion_type, **mods
        )
        place = PlaceModule(
            one(ctx, KERNEL_DIM),
            one(ctx, KERNEL_DIM),
            two(ctx, KERNEL_DIM),
            two(ctx, KERNEL_DIM),
            fusion=config.trans_stream_fusion_type,
            kernel_dim=KERNEL_DIM,
            names=TWO_STREAM_NAMES,
            **place_kw,
        )
    elif spec.layout == "one_stream":
        pick = PickModule(one(ctx, PICK_DIM), names=("attn_stream_one", "attn_stream_two"), **mods)
        names = (TWO_STREAM_NAMES[0], "", TWO_STREAM_NAMES[2], "")
        place = PlaceModule(one(ctx, KERNEL_DIM), one(ctx, KERNEL_DIM), names=names, **place_kw)
    elif spec.layout == "plain":
        pick = PickModule(one(ctx, PICK_DIM), names=("attn_stream", ""), **mods)
        place = PlaceModule(one(ctx, KERNEL_DIM), one(ctx, KERNEL_DIM), names=PLAIN_NAMES, **place_kw)
    elif spec.layout == "image_goal":
        pick = PickImageGoal(one(ctx, PICK_DIM), **mods)
        place = PlaceImageGoal(one(ctx, KERNEL_DIM), one(ctx, KERNEL_DIM), one(ctx, KERNEL_DIM), **place_kw)
    else:  # pragma: no cover - the registry only holds the layouts above
        raise ConfigError(f"unknown module layout {spec.layout!r}")
    return pick, place


def count_trainable(agent: str) -> tuple[int, int]:
    """Trainable parameters (pick, place) of the full-size agent, built on the meta device (no memory)."""
    config = AgentConfig(agent=agent)
    with torch.device("meta"):
        pick, place = build_modules(config, shape_only_encoders(config))
    return (
        sum(p.numel() for p in pick.parameters() if p.requires_grad),
        sum(p.numel() for p in place.parameters() if p.requires_grad),
    )
