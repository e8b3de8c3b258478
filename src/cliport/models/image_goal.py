"""Image-goal pick and place modules (`image_goal_transporter`, spec models.md §4, intended behaviour).

The original's image-goal modules crash at construction; this is the behaviour the spec describes:

* pick: the square-padded image times the padded goal image (element-wise, raw values) through one
  network (``attn_stream``);
* place: key = key_resnet(image) + goal_resnet(goal), kernel = query_resnet(image crops) +
  goal_resnet(goal crops) (goal crops cut exactly like the image crops), then the usual correlation.
"""

from __future__ import annotations

from torch import Tensor, nn

from cliport.models.attention import ModelInputError, PickModule, check_image
from cliport.models.blocks import sample_groups
from cliport.models.transport import PlaceModule


def _check_goal(image: Tensor, goal: Tensor | None) -> Tensor:
    if goal is None or tuple(goal.shape) != tuple(image.shape):
        got = None if goal is None else tuple(goal.shape)
        raise ModelInputError(f"goal image must have the image's shape {tuple(image.shape)}, got {got}")
    check_image(goal)
    return goal


class PickImageGoal(PickModule):
    """Pick module over image x goal image (one stream, ``attn_stream``)."""

    def __init__(self, stream: nn.Module, n_rotations: int = 1, rotation_mode: str = "exact") -> None:
        super().__init__(stream, None, n_rotations=n_rotations, names=("attn_stream", ""),
                         rotation_mode=rotation_mode)

    def forward(self, image: Tensor, goal: Tensor | None = None, softmax: bool = False) -> Tensor:  # type: ignore[override]
        goal = _check_goal(image, goal)
        x, pad = self.prepare(image)
        g, _ = self.prepare(goal)
        return self.from_padded(x * g, image.shape[1:3], pad, None, softmax)  # (B, H*W*R)


class PlaceImageGoal(PlaceModule):
    """Place module whose key and kernel add a shared goal network's features."""

    def __init__(
        self, key: nn.Module, query: nn.Module, goal: nn.Module, n_rotations: int = 36, crop_size: int = 64,
        correlation: str = "auto", rotation_mode: str = "exact",
    ) -> None:
        super().__init__(key, query, n_rotations=n_rotations, crop_size=crop_size,
                         names=("key_resnet", "", "query_resnet", ""), correlation=correlation,
                         rotation_mode=rotation_mode)
        self.goal_resnet = goal

    def forward(  # type: ignore[override]
        self, image: Tensor, pick_pixels: Tensor, goal: Tensor | None = None, softmax: bool = False,
    ) -> Tensor:
        goal = _check_goal(image, goal)
        x, _, crops = self.prepare(image, pick_pixels)
        g, _, goal_crops = self.prepare(goal, pick_pixels)
        b = x.shape[0]
        with sample_groups(self, b):
            key = self.key_resnet(x) + self.goal_resnet(g)  # (B, d, Hp, Wp)
            kernel = self.query_resnet(crops) + self.goal_resnet(goal_crops)  # (B*R, d, k, k)
        return self.correlate(key, kernel, softmax)
