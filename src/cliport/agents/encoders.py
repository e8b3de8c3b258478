"""The frozen encoders an agent needs, created once per agent and shared by all its streams.

Why this exists: the original gives every stream its own frozen CLIP (three per ``cliport`` agent) or
its own ResNet-50/DistilBERT. Here a registry row names the encoders (models.md §1) and this module
makes ONE of each: CLIP from the user's ``clip_weights`` setting (or random weights when explicitly
allowed), the ImageNet ResNet-50 / DistilBERT of the RN50-BERT baselines from ``cliport.models.
pretrained``. :func:`shape_only_encoders` gives parameter-free stand-ins with the right channel counts
for building networks only to count their parameters (``cliport agents``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from torch import Tensor

from cliport.agents.frozen import FrozenEncoders
from cliport.agents.registry import AgentSpec, agent_spec
from cliport.errors import CliportError
from cliport.models.encoders import TextFeatures

if TYPE_CHECKING:
    from cliport.agents.config import AgentConfig

RN50_CHANNELS = (256, 512, 1024, 2048)
#: (sentence_dim, token_dim) of each text encoder.
TEXT_DIMS = {"clip": (1024, 512), "bert": (768, 768), "bert_untrained": (768, 768)}


class _ShapeOnlyImageEncoder:
    """Declares an image encoder's channels; cannot run (used for parameter counting)."""

    def __init__(self, channels: tuple[int, int, int, int]) -> None:
        self.channels = channels

    def forward_features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        raise CliportError("shape-only encoder: built for counting parameters, cannot run")


class _ShapeOnlyTextEncoder:
    """Declares a text encoder's sizes; cannot run (used for parameter counting)."""

    def __init__(self, sentence_dim: int, token_dim: int) -> None:
        self.sentence_dim, self.token_dim = sentence_dim, token_dim

    def encode(self, texts: Sequence[str]) -> TextFeatures:
        raise CliportError("shape-only encoder: built for counting parameters, cannot run")


def shape_only_encoders(config: AgentConfig | AgentSpec) -> FrozenEncoders:
    """Parameter-free encoders with the full-size channel counts of the agent's encoders."""

    spec = config if isinstance(config, AgentSpec) else agent_spec(config.agent)
    channels, text_dims = RN50_CHANNELS, dict(TEXT_DIMS)
    clip_options = {} if isinstance(config, AgentSpec) else config.encoder_options.get("clip", {})
    if clip_options:  # a non-standard CLIP (tests): its ModifiedResNet width and text sizes
        from cliport.models.clip.model import ClipConfig

        clip = ClipConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in clip_options.items()})
        w = clip.vision_width
        channels = (4 * w, 8 * w, 16 * w, 32 * w)
        text_dims["clip"] = (clip.embed_dim, clip.transformer_width)
    image = _ShapeOnlyImageEncoder(channels) if spec.image_encoder else None
    text = _ShapeOnlyTextEncoder(*text_dims[spec.text_encoder]) if spec.text_encoder else None
    return FrozenEncoders(image=image, text=text)


def _clip(config: AgentConfig, clip_weights, allow_random: bool, device, precision: str = "fp32"):
    from cliport.models.clip.encoder import ClipEncoder, load_clip
    from cliport.models.clip.model import ClipConfig

    options = dict(config.encoder_options.get("clip", {}))
    clip_cfg = ClipConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
    model = load_clip(clip_weights, device, allow_random_clip=allow_random, config=clip_cfg,
                      precision=precision)
    return ClipEncoder(model)


def _pretrained(kind: str, config: AgentConfig, allow_random: bool):
    """ImageNet RN50 / DistilBERT from cliport.models.pretrained (built by another area)."""
    try:
        from cliport.models import pretrained
    except ImportError:
        raise CliportError(
            f"the {kind!r} encoder needs cliport.models.pretrained, which this installation lacks"
        ) from None
    options = dict(config.encoder_options.get(kind, {}))
    factory = getattr(pretrained, f"load_{kind}", None)
    if factory is None:
        raise CliportError(f"cliport.models.pretrained provides no load_{kind}()")
    return factory(allow_random=allow_random, **options)


def load_encoders(
    config: AgentConfig, *, clip_weights=None, allow_random: bool = False, device="cpu", precision="fp32"
) -> FrozenEncoders:
    """The frozen encoders of ``config.agent``: CLIP shared by image and text where both are CLIP.
    ``precision`` is CLIP's weight storage ("fp32", or "bf16" for bf16 training)."""

    spec = agent_spec(config.agent)
    image = text = None
    if "clip" in (spec.image_encoder, spec.text_encoder):
        clip = _clip(config, clip_weights, allow_random, device, precision)
        image = clip if spec.image_encoder == "clip" else None
        text = clip if spec.text_encoder == "clip" else None
    if spec.image_encoder in ("rn50", "rn50_untrained"):
        image = _pretrained(spec.image_encoder, config, allow_random)
    if spec.text_encoder in ("bert", "bert_untrained"):
        text = _pretrained(spec.text_encoder, config, allow_random)
    return FrozenEncoders(image=image, text=text)


def encoder_weights_available(config: AgentConfig, clip_weights=None) -> bool:
    """Whether the agent's frozen encoders can be loaded with real weights from the user's settings."""

    spec = agent_spec(config.agent)
    if "clip" in (spec.image_encoder, spec.text_encoder):
        from cliport.models.clip.weights import resolve_weights_path

        if resolve_weights_path(clip_weights) is None:
            return False
    import os

    # The RN50-BERT files are located by cliport.models.pretrained through these variables.
    if spec.image_encoder == "rn50" and not os.environ.get("CLIPORT_RN50_WEIGHTS"):
        return False
    if spec.text_encoder in ("bert", "bert_untrained") and not os.environ.get("CLIPORT_DISTILBERT"):
        return False
    return True
