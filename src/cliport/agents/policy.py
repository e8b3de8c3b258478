"""The policy: a thin object over the pick and place modules (training losses and acting).

Why this exists: the original's LightningModule mixes datasets, losses, checkpoint schedule and
acting, and runs one sample at a time. Here the networks are plain modules and this object only adds:
``forward(batch) -> (loss, info)`` for batches of any size, ``train_step`` (the training loop's step,
with the original's two optimisers), ``act(obs, instruction) -> Action`` for rollouts, and ownership of the
ONE frozen encoder set shared by every stream (never a sub-module: not in ``state_dict()``, not in
``parameters()``, not in the optimisers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from cliport.agents.build import build_modules
from cliport.agents.config import AgentConfig
from cliport.agents.decoding import decode_pick, decode_place, to_action
from cliport.agents.encoders import load_encoders
from cliport.agents.frozen import FrozenEncoders
from cliport.agents.losses import (
    check_pixels,
    one_hot_cross_entropy,
    pick_label_index,
    place_label_index,
    validation_errors,
)
from cliport.agents.registry import AgentSpec, agent_spec
from cliport.agents.step import make_optimizers, train_step
from cliport.errors import CliportError
from cliport.models.encoders import TextFeatures
from cliport.models.feature_cache import frozen_feature_cache
from cliport.models.small_map_conv import set_small_map_matmul
from cliport.types import Action


class Policy(nn.Module):
    """Pick (attention) + place (transport) modules of one registry agent."""

    def __init__(
        self, config: AgentConfig, pick: nn.Module, place: nn.Module, encoders: FrozenEncoders
    ) -> None:
        super().__init__()
        self.config = config
        self.spec: AgentSpec = agent_spec(config.agent)
        self.pick = pick
        self.place = place
        # A plain attribute (not a Module): keeps the encoders out of state_dict / parameters.
        self.encoders = encoders
        self.image_size: tuple[int, int] = tuple(config.image_size)  # (320, 160) outside tests
        self.input_shape = (*self.image_size, 6)
        #: act()'s arithmetic: "32" (float32, as the original evaluated) or "bf16" (bfloat16 autocast:
        #: ~2x faster where the CPU/GPU does bf16 natively; logits differ by bf16 rounding, so a near-tie
        #: can decode to another pixel). Set by ``cliport eval precision=...``.
        self.act_precision = "32"

    # -- device handling: the frozen encoders follow the policy's .to()/.cuda()/.float() ------------
    def _apply(self, fn, recurse: bool = True):  # type: ignore[override]
        super()._apply(fn, recurse)
        for module in self.encoders.modules():
            module._apply(fn, recurse)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # -- parameters and optimisers -----------------------------------------------------------------
    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """Trainable parameters of the pick and of the place module (the original's two optimisers)."""
        return {
            "pick": [p for p in self.pick.parameters() if p.requires_grad],
            "place": [p for p in self.place.parameters() if p.requires_grad],
        }

    def make_optimizers(self, fused: bool | None = None) -> dict[str, torch.optim.Optimizer]:
        """Two Adam optimisers (lr from the config, default betas/eps, no weight decay); torch's fused
        kernel where the device has one unless ``fused=False`` (cliport.agents.step)."""
        return make_optimizers(self.parameter_groups(), self.config.lr, fused)

    # -- speed and memory settings (same numbers) ----------------------------------------------------
    def set_activation_checkpointing(self, enabled: bool) -> Policy:
        """Recompute each trainable stream's activations in the backward pass instead of keeping them."""
        for module in (self.pick, self.place):
            if hasattr(module, "activation_checkpointing"):
                module.activation_checkpointing = bool(enabled)
        return self

    def set_small_map_matmul(self, enabled: bool) -> Policy:
        """Compute the wide 3x3 convolutions on small maps as one matrix multiply (the default; the same
        numbers, models/small_map_conv.py) or, with ``False``, as convolutions everywhere."""
        set_small_map_matmul(self, enabled)
        return self

    def frozen_feature_cache(self):
        """Context in which frozen-encoder features are computed once per input tensor, so that a
        checkpointed stream's recompute does not run CLIP again. Without checkpointing every input is
        encoded once anyway, and a cache would only keep the pick features alive through the place
        module's forward and backward: then it is a no-op."""
        if not any(getattr(m, "activation_checkpointing", False) for m in (self.pick, self.place)):
            return nullcontext()
        return frozen_feature_cache()

    # -- inputs ------------------------------------------------------------------------------------
    def encode_text(self, instructions: Sequence[str] | str | None, batch_size: int) -> TextFeatures | None:
        """Instructions -> frozen text features (None for agents without language)."""
        if not self.spec.uses_language:
            return None
        if isinstance(instructions, str):
            instructions = [instructions] * batch_size
        if instructions is None or len(instructions) != batch_size:
            got = "none" if instructions is None else len(instructions)
            raise CliportError(
                f"agent {self.spec.name!r} needs one instruction per sample: "
                f"{batch_size} images, {got} instructions"
            )
        encoder = self.encoders.text
        if encoder is None:
            raise CliportError(f"agent {self.spec.name!r} was built without its text encoder")
        with torch.no_grad():
            return encoder.encode(list(instructions)).to(self.device)

    def _image(self, batch: Mapping[str, Any], key: str = "image") -> Tensor:
        if key not in batch:
            raise CliportError(f"batch has no {key!r} (agent {self.spec.name!r} needs it)")
        image = torch.as_tensor(batch[key])
        if image.ndim != 4 or tuple(image.shape[1:]) != self.input_shape:
            raise CliportError(
                f"batch[{key!r}] must have shape (B, {', '.join(map(str, self.input_shape))}), "
                f"got {tuple(image.shape)}"
            )
        return image.to(self.device, torch.float32)  # (B, 320, 160, 6)

    def _goal(self, batch: Mapping[str, Any]) -> Tensor | None:
        return self._image(batch, "goal_image") if self.spec.uses_goal_image else None

    # -- module calls (one place that knows the modules' signatures) --------------------------------
    def pick_logits(self, image: Tensor, text: TextFeatures | None, goal: Tensor | None) -> Tensor:
        """(B, 320, 160, 6) -> flat pick logits (B, 320*160*1) in (H, W, R) order."""
        if self.spec.uses_goal_image:
            return self.pick(image, goal)
        return self.pick(image, text)

    def place_logits(
        self, image: Tensor, p0: Tensor, text: TextFeatures | None, goal: Tensor | None
    ) -> Tensor:
        """(B, 320, 160, 6), pick pixels (B, 2) -> flat place logits (B, R*320*160) in (R, H, W) order."""
        if self.spec.uses_goal_image:
            return self.place(image, p0, goal)
        return self.place(image, p0, text)

    # -- training ----------------------------------------------------------------------------------
    def _labels(self, batch: Mapping[str, Any], b: int) -> tuple[Tensor, Tensor]:
        h, w = self.image_size
        tensors = {}
        for key in ("p0", "p0_theta", "p1", "p1_theta"):
            if key not in batch:
                raise CliportError(f"batch has no {key!r}")
            tensors[key] = torch.as_tensor(batch[key]).to(self.device)
            if tensors[key].shape[0] != b:
                raise CliportError(f"batch[{key!r}] has {tensors[key].shape[0]} rows for {b} images")
        check_pixels("p0", tensors["p0"], h, w)
        check_pixels("p1", tensors["p1"], h, w)
        pick_idx = pick_label_index(tensors["p0"], tensors["p0_theta"], (h, w, 1))
        place_idx = place_label_index(tensors["p1"], tensors["p1_theta"], (self.config.n_rotations, h, w))
        return pick_idx, place_idx

    def forward(self, batch: Mapping[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        """Pick + place cross-entropy (data_train_eval.md §7) of a collated batch; info holds the parts
        (detached) and the per-sample validation errors (pixel L1 distance, angle error)."""
        image = self._image(batch)
        b = image.shape[0]
        pick_idx, place_idx = self._labels(batch, b)
        text = self.encode_text(batch.get("instruction"), b)
        goal = self._goal(batch)
        p0 = torch.as_tensor(batch["p0"]).to(self.device).long()
        pick_logits = self.pick_logits(image, text, goal)  # (B, 51200)
        place_logits = self.place_logits(image, p0, text, goal)  # (B, 36*51200)
        pick_loss = one_hot_cross_entropy(pick_logits, pick_idx).mean()
        place_loss = one_hot_cross_entropy(place_logits, place_idx).mean()
        loss = pick_loss + place_loss
        info = {"loss": loss.detach(), "pick_loss": pick_loss.detach(), "place_loss": place_loss.detach()}
        with torch.no_grad():
            info.update(
                validation_errors(pick_logits, place_logits, batch, self.image_size, self.config.n_rotations)
            )
        return loss, info

    def loss_parts(self, batch: Mapping[str, Any]) -> dict[str, Callable[[], Tensor]]:
        """The pick and the place loss of a batch as two separate computations (inputs, labels and text
        prepared once), so that a step can keep only one module's graph alive at a time."""
        image = self._image(batch)
        b = image.shape[0]
        pick_idx, place_idx = self._labels(batch, b)
        text = self.encode_text(batch.get("instruction"), b)
        goal = self._goal(batch)
        p0 = torch.as_tensor(batch["p0"]).to(self.device).long()

        def pick() -> Tensor:
            return one_hot_cross_entropy(self.pick_logits(image, text, goal), pick_idx).mean()

        def place() -> Tensor:
            return one_hot_cross_entropy(self.place_logits(image, p0, text, goal), place_idx).mean()

        return {"pick": pick, "place": place}

    def train_step(
        self, batch: Mapping[str, Any], optimizers: Mapping[str, torch.optim.Optimizer],
        autocast: Any = None, optimizer_in_backward: bool = False,
    ) -> dict[str, Tensor]:
        """One training step on a batch, exactly as the training loop runs it (cliport.agents.step): the
        original's order, pick loss -> backward -> pick update, then the same for place."""
        self.train()
        loss, info = train_step(self, batch, optimizers, autocast=autocast, in_backward=optimizer_in_backward)
        return {"loss": loss, "pick_loss": info["pick_loss"], "place_loss": info["place_loss"]}

    # -- acting ------------------------------------------------------------------------------------
    @contextmanager
    def _act_mode(self) -> Iterator[None]:
        """Eval mode; with act_batchnorm="batch" the BatchNorms use the batch's statistics as in the
        original evaluation (modules left in train mode), without changing the stored statistics."""
        was_training = self.training
        self.eval()
        saved = []
        if self.config.act_batchnorm == "batch":
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    nbt = None if m.num_batches_tracked is None else m.num_batches_tracked.clone()
                    saved.append((m, m.momentum, nbt))
                    m.train()
                    m.momentum = 0.0  # running = 1·running + 0·batch: unchanged
        try:
            with torch.no_grad():
                yield
        finally:
            for m, momentum, nbt in saved:
                m.momentum = momentum
                if nbt is not None:
                    m.num_batches_tracked.copy_(nbt)
            self.train(was_training)

    def _act_autocast(self) -> Any:
        if self.act_precision == "32":
            return nullcontext()
        if self.act_precision != "bf16":
            raise CliportError(f"act precision must be 32 or bf16, got {self.act_precision!r}")
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def act(
        self, obs: Any, instruction: str | None = None, goal: Any = None, return_maps: bool = False
    ) -> Action:
        """Rollout action for one observation: ``obs`` is the fused (320, 160, 6) input (an array, or a
        mapping with key "image" and, for image-goal agents, "goal_image")."""
        if isinstance(obs, Mapping):
            goal = obs.get("goal_image", goal)
            obs = obs["image"]
        image_np = np.asarray(obs, dtype=np.float32)
        if image_np.shape != self.input_shape:
            raise CliportError(
                f"act() needs the fused input of shape {self.input_shape}, got {image_np.shape}"
            )
        batch: dict[str, Any] = {"image": torch.from_numpy(image_np)[None]}
        if self.spec.uses_goal_image:
            if goal is None:
                raise CliportError(f"agent {self.spec.name!r} needs a goal image")
            batch["goal_image"] = torch.as_tensor(np.asarray(goal, dtype=np.float32))[None]
        with self._act_mode(), self._act_autocast():
            image = self._image(batch)
            text = self.encode_text([instruction if instruction is not None else ""], 1)
            goal_t = self._goal(batch)
            pick_logits = self.pick_logits(image, text, goal_t)[0]  # (51200,)
            pick = decode_pick(pick_logits, self.image_size, 1)
            p0 = torch.tensor([[pick.row, pick.col]], device=self.device)
            place_logits = self.place_logits(image, p0, text, goal_t)[0]  # (36*51200,)
            place = decode_place(place_logits, self.image_size, self.config.n_rotations)
        action = to_action(pick, place, image_np)
        if return_maps:
            h, w = self.image_size
            action.extras["pick_map"] = torch.softmax(pick_logits.float(), 0).view(h, w).cpu().numpy()
            place_map = torch.softmax(place_logits.float(), 0).view(self.config.n_rotations, h, w)
            action.extras["place_map"] = place_map.cpu().numpy()
        return action


def build_agent(
    config: AgentConfig | str,
    *,
    clip_weights: str | None = None,
    allow_random_encoders: bool = False,
    device: str | torch.device = "cpu",
    encoders: FrozenEncoders | None = None,
    channels_last: bool = False,
    frozen_precision: str = "fp32",
) -> Policy:
    """Build the agent of ``config`` (or of a registry name with default settings).

    Frozen encoders are loaded from the settings (``clip_weights`` / $CLIPORT_CLIP_WEIGHTS; random
    weights only with ``allow_random_encoders``) unless ``encoders`` are given (tests, sharing).
    ``channels_last`` keeps conv weights (and so activations) in NHWC memory: the same numbers, faster
    convolutions on CPU (oneDNN); it also converts the shared frozen encoders.
    ``frozen_precision="bf16"`` stores the frozen CLIP's weights in bfloat16 (training under bf16
    autocast, where CLIP computes in bf16 anyway: half its memory, no per-call weight casts).
    """
    if isinstance(config, str):
        config = AgentConfig(agent=config)
    if encoders is None:
        encoders = load_encoders(config, clip_weights=clip_weights, allow_random=allow_random_encoders,
                                 precision=frozen_precision)
    pick, place = build_modules(config, encoders)
    policy = Policy(config, pick, place, encoders).to(device)
    return policy.to(memory_format=torch.channels_last) if channels_last else policy
