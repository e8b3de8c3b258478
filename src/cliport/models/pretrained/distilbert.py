"""DistilBERT-base (6 post-LayerNorm transformer layers, width 768) with Hugging Face's parameter names.

Why this exists: the RN50-BERT baselines and ``transporter_lang`` encode instructions with
``distilbert-base-uncased`` (spec models.md §7.3, §9.2). Rather than depending on ``transformers``, the
encoder is written here; names match ``DistilBertModel`` (``embeddings.word_embeddings``,
``transformer.layer.N.attention.q_lin``, ``sa_layer_norm``, ``ffn.lin1``, ``output_layer_norm``, ...)
so the released checkpoint loads (a ``distilbert.`` prefix from the masked-LM checkpoint is stripped
by the loader). 66 362 880 parameters at full size. Inference only: no dropout.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class DistilBertConfig:
    """Sizes of DistilBERT; defaults are ``distilbert-base-uncased``."""

    vocab_size: int = 30522
    max_position_embeddings: int = 512
    dim: int = 768
    n_layers: int = 6
    n_heads: int = 12
    hidden_dim: int = 3072

    def __post_init__(self) -> None:
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")


class Embeddings(nn.Module):
    def __init__(self, cfg: DistilBertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim, padding_idx=0)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.dim)
        self.LayerNorm = nn.LayerNorm(cfg.dim, eps=1e-12)

    def forward(self, ids: Tensor) -> Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)  # (L,)
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(positions))  # (B, L, D)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, cfg: DistilBertConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.q_lin = nn.Linear(cfg.dim, cfg.dim)
        self.k_lin = nn.Linear(cfg.dim, cfg.dim)
        self.v_lin = nn.Linear(cfg.dim, cfg.dim)
        self.out_lin = nn.Linear(cfg.dim, cfg.dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        b, length, dim = x.shape
        nh, hd = self.n_heads, dim // self.n_heads

        def heads(t: Tensor) -> Tensor:
            return t.view(b, length, nh, hd).transpose(1, 2)  # (B, nh, L, hd)

        q, k, v = heads(self.q_lin(x)), heads(self.k_lin(x)), heads(self.v_lin(x))
        keep = mask[:, None, None, :].bool()  # (B, 1, 1, L): attend only to real tokens
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)  # (B, nh, L, hd)
        return self.out_lin(out.transpose(1, 2).reshape(b, length, dim))  # (B, L, D)


class FFN(nn.Module):
    def __init__(self, cfg: DistilBertConfig) -> None:
        super().__init__()
        self.lin1 = nn.Linear(cfg.dim, cfg.hidden_dim)
        self.lin2 = nn.Linear(cfg.hidden_dim, cfg.dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.lin2(F.gelu(self.lin1(x)))  # exact (erf) GELU, as DistilBERT


class TransformerBlock(nn.Module):
    """Post-LayerNorm: x = LN(x + attn(x)); x = LN(x + ffn(x))."""

    def __init__(self, cfg: DistilBertConfig) -> None:
        super().__init__()
        self.attention = MultiHeadSelfAttention(cfg)
        self.sa_layer_norm = nn.LayerNorm(cfg.dim, eps=1e-12)
        self.ffn = FFN(cfg)
        self.output_layer_norm = nn.LayerNorm(cfg.dim, eps=1e-12)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = self.sa_layer_norm(x + self.attention(x, mask))  # (B, L, D)
        return self.output_layer_norm(x + self.ffn(x))  # (B, L, D)


class Transformer(nn.Module):
    def __init__(self, cfg: DistilBertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg.n_layers)])

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        for block in self.layer:
            x = block(x, mask)
        return x


class DistilBertModel(nn.Module):
    """ids (B, L) + mask (B, L) -> last hidden states (B, L, dim)."""

    def __init__(self, config: DistilBertConfig | None = None) -> None:
        super().__init__()
        self.config = config or DistilBertConfig()
        self.embeddings = Embeddings(self.config)
        self.transformer = Transformer(self.config)

    def init_weights_(self, generator: torch.Generator | None = None) -> DistilBertModel:
        """BERT's initialisation: N(0, 0.02) weights, zero biases, unit LayerNorms, zero padding row."""
        with torch.no_grad():
            for mod in self.modules():
                if isinstance(mod, nn.Linear | nn.Embedding):
                    mod.weight.normal_(0.0, 0.02, generator=generator)
                    if isinstance(mod, nn.Linear) and mod.bias is not None:
                        mod.bias.zero_()
                elif isinstance(mod, nn.LayerNorm):
                    mod.weight.fill_(1.0)
                    mod.bias.zero_()
            self.embeddings.word_embeddings.weight[0].zero_()
        return self

    def forward(self, ids: Tensor, mask: Tensor | None = None) -> Tensor:
        if ids.shape[1] > self.config.max_position_embeddings:
            limit = self.config.max_position_embeddings
            raise ValueError(f"{ids.shape[1]} tokens exceed DistilBERT's {limit}")
        mask = torch.ones_like(ids) if mask is None else mask
        return self.transformer(self.embeddings(ids), mask)  # (B, L, D)
