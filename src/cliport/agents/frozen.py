"""The frozen-encoder bundle an agent shares across its streams.

It sits at the bottom of ``cliport.agents`` (below the builders, the encoder loaders and the policy) so
that ``build``/``encoders`` can name it without importing the policy: policy -> build/encoders -> frozen.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from cliport.models.encoders import ImageEncoder, TextEncoder

__all__ = ["FrozenEncoders"]


@dataclass
class FrozenEncoders:
    """The agent's frozen encoders (each shared by all streams); None where the agent needs none."""

    image: ImageEncoder | None = None
    text: TextEncoder | None = None

    def modules(self) -> list[nn.Module]:
        seen: list[nn.Module] = []
        for enc in (self.image, self.text):
            if isinstance(enc, nn.Module) and not any(enc is s for s in seen):
                seen.append(enc)
        return seen
