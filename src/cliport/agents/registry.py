"""Every agent name of the original (spec models.md §1) as one declarative table.

Why this exists: the CLI (`cliport agents`), training, evaluation, checkpoint loading and the tests all
read this one table; an agent is a row, not a class. A row names the pick (attention) and place
(transport) module kinds, the networks of stream one and stream two, and the frozen encoders the agent
needs. :mod:`cliport.agents.build` turns a row into modules.
"""

from __future__ import annotations

from dataclasses import dataclass

from cliport.errors import ConfigError


class UnknownAgentError(ConfigError):
    """An agent name that is not in the registry."""


@dataclass(frozen=True)
class AgentSpec:
    """One row of models.md §1."""

    name: str
    #: Module layout: "plain" (one network per role), "one_stream" (one language network), "two_stream",
    #: "image_goal" (plain + goal network).
    layout: str
    #: Stream-one network (the original's config name).
    stream_one: str
    #: Stream-two network, or None for one-stream layouts.
    stream_two: str | None
    #: Frozen image encoder of stream two: "clip", "rn50" (ImageNet), "rn50_untrained", or None.
    image_encoder: str | None
    #: Frozen text encoder: "clip", "bert", "bert_untrained", or None (no language).
    text_encoder: str | None
    #: Whether stream two takes stream one's lateral features.
    lateral: bool = False
    in_paper: bool = True
    #: Whether the released code can build it (three rows crash there; they work here).
    works_in_original: bool = True

    @property
    def uses_language(self) -> bool:
        return self.text_encoder is not None

    @property
    def uses_goal_image(self) -> bool:
        return self.layout == "image_goal"


def _two(name: str, one: str, two: str, image: str, text: str | None, lat: bool, **kw) -> AgentSpec:
    return AgentSpec(name, "two_stream", one, two, image, text, lateral=lat, **kw)


_ROWS: tuple[AgentSpec, ...] = (
    _two("cliport", "plain_resnet_lat", "clip_lingunet_lat", "clip", "clip", True),
    _two(
        "two_stream_clip_lingunet_lat_transporter",
        "plain_resnet_lat",
        "clip_lingunet_lat",
        "clip",
        "clip",
        True,
    ),
    _two("two_stream_clip_unet_lat_transporter", "plain_resnet_lat", "clip_unet_lat", "clip", None, True),
    _two("two_stream_clip_lingunet_transporter", "plain_resnet", "clip_lingunet", "clip", "clip", False),
    _two("two_stream_clip_unet_transporter", "plain_resnet", "clip_unet", "clip", None, False),
    _two("two_stream_clip_woskip_transporter", "plain_resnet", "clip_woskip", "clip", None, False),
    _two(
        "two_stream_full_rn50_bert_lingunet_lat_transporter",
        "plain_resnet_lat",
        "rn50_bert_lingunet_lat",
        "rn50",
        "bert",
        True,
    ),
    # The no-language RN50 baseline still loads DistilBERT in the original (unused); we do not.
    _two("two_stream_full_rn50_bert_unet_transporter", "plain_resnet", "rn50_bert_unet", "rn50", None, False),
    _two(
        "two_stream_full_rn50_bert_lingunet_transporter",
        "plain_resnet",
        "rn50_bert_lingunet",
        "rn50",
        "bert",
        False,
    ),
    _two(
        "two_stream_full_untrained_rn50_bert_lingunet_transporter",
        "plain_resnet",
        "untrained_rn50_bert_lingunet",
        "rn50_untrained",
        "bert_untrained",
        False,
    ),
    AgentSpec("transporter", "plain", "plain_resnet", None, None, None, works_in_original=False),
    AgentSpec("clip_unet_transporter", "plain", "clip_unet", None, "clip", None, works_in_original=False),
    AgentSpec("clip_lingunet_transporter", "one_stream", "clip_lingunet", None, "clip", "clip"),
    AgentSpec("transporter_lang", "one_stream", "plain_resnet_lang", None, None, "bert"),
    AgentSpec(
        "image_goal_transporter", "image_goal", "plain_resnet", None, None, None, works_in_original=False
    ),
    _two(
        "two_stream_clip_film_lingunet_lat_transporter",
        "plain_resnet_lat",
        "clip_film_lingunet_lat",
        "clip",
        "clip",
        True,
        in_paper=False,
    ),
)

AGENTS: dict[str, AgentSpec] = {row.name: row for row in _ROWS}


def agent_names() -> list[str]:
    """All registered agent names, in the order of models.md §1."""
    return list(AGENTS)


def agent_spec(name: str) -> AgentSpec:
    """The registry row of ``name``; a clear error listing the known names otherwise."""
    try:
        return AGENTS[name]
    except (KeyError, TypeError):
        hint = ""
        if name == "two_stream_full_clip_lingunet_lat_transporter":
            hint = " (the original's default train.agent, which its registry lacks too; use 'cliport')"
        raise UnknownAgentError(f"unknown agent {name!r}{hint}; known agents: {', '.join(AGENTS)}") from None
