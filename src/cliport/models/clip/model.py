"""The complete CLIP model (image tower + text tower) in OpenAI's RN50 layout (spec models.md §8).

Why this exists: CLIPort needs CLIP's layer maps and its text features, at CLIPort's own resolutions,
from the released RN50 weights. :class:`CLIP` holds exactly the parameters of OpenAI's checkpoint
under the same names (``visual.*``, ``transformer.*``, ``token_embedding``, ``positional_embedding``,
``ln_final``, ``text_projection``, ``logit_scale``): 102 007 137 of them at full size.
:class:`ClipConfig` describes the sizes; :meth:`ClipConfig.tiny` builds a small copy for tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from cliport.models.clip.text import LayerNorm, Transformer, causal_mask
from cliport.models.clip.visual import ModifiedResNet


@dataclass(frozen=True)
class ClipConfig:
    """Sizes of a CLIP model with a ModifiedResNet image tower. Defaults are OpenAI's RN50."""

    embed_dim: int = 1024
    image_resolution: int = 224
    vision_layers: tuple[int, int, int, int] = (3, 4, 6, 3)
    vision_width: int = 64
    context_length: int = 77
    vocab_size: int = 49408
    transformer_width: int = 512
    transformer_heads: int = 8
    transformer_layers: int = 12

    def __post_init__(self) -> None:
        object.__setattr__(self, "vision_layers", tuple(int(n) for n in self.vision_layers))  # JSON lists
        if len(self.vision_layers) != 4:
            raise ValueError(f"vision_layers must have 4 entries, got {self.vision_layers}")
        if self.vision_width % 2 or (self.vision_width * 32) % 64:
            raise ValueError(f"vision_width must be a multiple of 2 (got {self.vision_width})")
        if self.transformer_width % self.transformer_heads:
            raise ValueError("transformer_width must be divisible by transformer_heads")
        if self.image_resolution % 32:
            raise ValueError(f"image_resolution must be a multiple of 32 (got {self.image_resolution})")

    @property
    def vision_heads(self) -> int:
        """OpenAI's rule: one attention-pool head per 64 channels of the final map."""
        return self.vision_width * 32 // 64

    @classmethod
    def rn50(cls) -> ClipConfig:
        return cls()

    @classmethod
    def tiny(cls) -> ClipConfig:
        """A few-thousand-parameter CLIP with the same structure, for fast tests.

        The vocabulary stays full-size so real token ids are valid inputs.
        """
        return cls(
            embed_dim=16,
            image_resolution=64,
            vision_layers=(1, 2, 1, 1),
            vision_width=4,
            context_length=77,
            vocab_size=49408,
            transformer_width=8,
            transformer_heads=2,
            transformer_layers=2,
        )

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class CLIP(nn.Module):
    """CLIP RN50: ``visual`` (ModifiedResNet) and the text transformer with its embeddings."""

    def __init__(self, config: ClipConfig | None = None) -> None:
        super().__init__()
        cfg = config or ClipConfig()
        self.config = cfg
        self.context_length = cfg.context_length
        self.visual = ModifiedResNet(
            layers=cfg.vision_layers,
            output_dim=cfg.embed_dim,
            heads=cfg.vision_heads,
            input_resolution=cfg.image_resolution,
            width=cfg.vision_width,
        )
        self.transformer = Transformer(cfg.transformer_width, cfg.transformer_layers, cfg.transformer_heads)
        self.vocab_size = cfg.vocab_size
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.transformer_width)
        self.positional_embedding = nn.Parameter(torch.empty(cfg.context_length, cfg.transformer_width))
        self.ln_final = LayerNorm(cfg.transformer_width)
        self.text_projection = nn.Parameter(torch.empty(cfg.transformer_width, cfg.embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(float(torch.log(torch.tensor(1 / 0.07)))))
        self._init_parameters()

    def _init_parameters(self) -> None:
        """Random initialisation in the spirit of OpenAI's (only used without released weights)."""
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        width = self.transformer.width
        proj_std = width**-0.5 * (2 * self.transformer.layers) ** -0.5
        for block in self.transformer.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=width**-0.5)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.normal_(block.mlp.c_fc.weight, std=(2 * width) ** -0.5)
            nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=width**-0.5)
        pool = self.visual.attnpool
        for lin in (pool.q_proj, pool.k_proj, pool.v_proj, pool.c_proj):
            nn.init.normal_(lin.weight, std=pool.q_proj.in_features**-0.5)
        for name, param in self.visual.named_parameters():
            # residual branches start near zero (only the blocks' bn3: zeroing the stem's bn3 as well
            # would make every feature map of a random CLIP exactly zero)
            if name.startswith("layer") and name.endswith("bn3.weight"):
                nn.init.zeros_(param)

    @property
    def dtype(self) -> torch.dtype:
        return self.visual.conv1.weight.dtype

    # ----------------------------------------------------------------------------------------------
    def encode_text_features(self, ids: Tensor) -> tuple[Tensor, Tensor]:
        """Token ids (B, L) -> (sentence (B, embed_dim), per-token states (B, L, width)).

        Sentence = final state at the end token (the largest id of each row) @ text_projection,
        not normalised. Per-token states are after ``ln_final``.
        """
        if ids.ndim != 2 or ids.shape[1] != self.context_length:
            raise ValueError(f"expected token ids (B, {self.context_length}), got shape {tuple(ids.shape)}")
        # bf16 weights run under bf16 autocast (ClipEncoder), whose residual stream stays fp32
        residual = torch.float32 if self.dtype == torch.bfloat16 else self.dtype
        x = self.token_embedding(ids).to(residual)  # (B, L, W)
        x = x + self.positional_embedding.to(x.dtype)  # (B, L, W)
        x = self.transformer(x, causal_mask(ids.shape[1], x.device, x.dtype))  # (B, L, W)
        x = self.ln_final(x)  # (B, L, W)
        end = ids.argmax(dim=-1)  # (B,)
        sentence = x[torch.arange(x.shape[0], device=x.device), end] @ self.text_projection  # (B, E)
        return sentence, x

    def encode_text(self, ids: Tensor) -> Tensor:
        """Token ids (B, L) -> text embedding (B, embed_dim) (OpenAI's ``encode_text``)."""
        return self.encode_text_features(ids)[0]

    def encode_image(self, image: Tensor) -> Tensor:
        """(B, 3, R, R) normalised images -> pooled image embedding (B, embed_dim)."""
        return self.visual(image.to(self.dtype))

    def forward(self, image: Tensor, ids: Tensor) -> tuple[Tensor, Tensor]:
        """CLIP's contrastive logits (image x text, text x image), as OpenAI's model returns them."""
        img = self.encode_image(image)  # (Bi, E)
        txt = self.encode_text(ids)  # (Bt, E)
        img = img / img.norm(dim=1, keepdim=True)
        txt = txt / txt.norm(dim=1, keepdim=True)
        logits = self.logit_scale.exp() * img @ txt.t()  # (Bi, Bt)
        return logits, logits.t()


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (BatchNorm running statistics are buffers and not counted)."""
    return sum(p.numel() for p in module.parameters())


def half_precision_(model: CLIP, dtype: torch.dtype = torch.float16) -> CLIP:
    """Cast conv, linear, attention and embedding-projection weights to fp16 (or ``dtype``) in place
    (spec §8.3).

    BatchNorm and LayerNorm parameters, the embedding tables and the positional embeddings stay fp32
    (they are cast on use; LayerNorm computes in fp32). With fp16 this is the original's precision
    recipe, meant for GPUs; bfloat16 is what bf16 autocast computes CLIP in.
    """

    def cast(t: Tensor) -> Tensor:
        # keeps the memory format (channels_last conv weights stay channels_last)
        return t.to(dtype, memory_format=torch.preserve_format)

    for mod in model.modules():
        if isinstance(mod, nn.Conv2d | nn.Linear):
            mod.weight.data = cast(mod.weight.data)
            if mod.bias is not None:
                mod.bias.data = cast(mod.bias.data)
        elif isinstance(mod, nn.MultiheadAttention):
            for name in ("in_proj_weight", "in_proj_bias"):
                tensor = getattr(mod, name)
                if tensor is not None:
                    tensor.data = cast(tensor.data)
    model.text_projection.data = cast(model.text_projection.data)
    return model
