"""DistilBERT as a frozen text encoder for the RN50-BERT baselines (spec models.md §9.2).

Why this exists: it implements the :class:`~cliport.models.encoders.TextEncoder` Protocol over our
:class:`DistilBertModel` and :class:`WordPieceTokenizer`. Weights come from a local Hugging Face style
folder the user provides (``model_dir=`` or ``$CLIPORT_DISTILBERT``) holding ``vocab.txt``,
``model.safetensors`` or ``pytorch_model.bin``, and optionally ``config.json``.

Outputs: sentence = mean of the last hidden states over the sample's own tokens, [CLS] and [SEP]
included (768-d); tokens (B, L, 768) padded to the longest instruction of the batch; mask 1 for real
tokens. The original encoded one unpadded instruction at a time; padding is masked out of attention
and of the mean, so each row equals encoding that instruction alone.
"""

from __future__ import annotations

import json
import os
import string
import warnings
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import torch
from torch import Tensor, nn

from cliport.models.encoders import TextFeatures
from cliport.models.pretrained.distilbert import DistilBertConfig, DistilBertModel
from cliport.models.pretrained.files import PretrainedWeightsError, load_checked, read_tensors, resolve_path
from cliport.models.pretrained.wordpiece import WordPieceTokenizer

BERT_DIR_ENV = "CLIPORT_DISTILBERT"
BERT_HINT = (
    "give a local copy of Hugging Face's distilbert-base-uncased (a folder with vocab.txt and "
    f"model.safetensors or pytorch_model.bin) as model_dir=PATH or {BERT_DIR_ENV}=PATH"
)
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
#: Keys of the masked-LM checkpoint that the base model does not have.
HEAD_PREFIXES = ("vocab_transform.", "vocab_layer_norm.", "vocab_projector.", "embeddings.position_ids")


class DistilBertEncoder(nn.Module):
    """Frozen DistilBERT + tokenizer; ``encode(texts)`` runs under no-grad."""

    def __init__(self, model: DistilBertModel, tokenizer: WordPieceTokenizer) -> None:
        super().__init__()
        if len(tokenizer.vocab) > model.config.vocab_size:
            raise PretrainedWeightsError(
                f"the tokenizer has {len(tokenizer.vocab)} tokens but DistilBERT only "
                f"{model.config.vocab_size} embeddings (vocab.txt and weights do not belong together)"
            )
        self.model = model.requires_grad_(False).eval()
        self.tokenizer = tokenizer
        self.sentence_dim = model.config.dim
        self.token_dim = model.config.dim

    def train(self, mode: bool = True) -> DistilBertEncoder:
        self.training = mode
        self.model.eval()  # no dropout, no batch statistics: train mode changes nothing
        return self

    def tokenize(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        """Texts -> (ids (B, L) padded with [PAD], mask (B, L)), L = longest instruction."""
        rows = [self.tokenizer.encode(t) for t in texts]
        length = max(len(r) for r in rows)
        ids = torch.full((len(rows), length), self.tokenizer.pad_id, dtype=torch.long)
        mask = torch.zeros(len(rows), length)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1.0
        return ids, mask

    def encode(self, texts: Sequence[str]) -> TextFeatures:
        if len(texts) == 0:
            raise ValueError("encode() needs at least one text")
        ids, mask = self.tokenize(texts)
        device = self.model.embeddings.word_embeddings.weight.device
        ids, mask = ids.to(device), mask.to(device)
        with torch.no_grad():
            hidden = self.model(ids, mask)  # (B, L, D)
        sentence = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)  # (B, D)
        return TextFeatures(sentence, hidden, mask)


def _config_from(folder: Path | None, overrides: dict[str, object]) -> DistilBertConfig:
    values: dict[str, object] = {}
    if folder is not None and (folder / "config.json").is_file():
        raw = json.loads((folder / "config.json").read_text())
        values = {f.name: raw[f.name] for f in fields(DistilBertConfig) if f.name in raw}
    values.update(overrides)
    try:
        return DistilBertConfig(**values)  # type: ignore[arg-type]
    except TypeError as err:
        raise PretrainedWeightsError(f"bad DistilBERT option: {err}") from err


def _fallback_vocab() -> list[str]:
    """A character-level vocabulary, only for runs without any DistilBERT files (allow_random)."""
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *chars, *("##" + c for c in chars)]


def _random_model(cfg: DistilBertConfig, seed: int) -> DistilBertModel:
    gen = torch.Generator().manual_seed(seed)
    return DistilBertModel(cfg).init_weights_(gen)


def _tokenizer(folder: Path | None, allow_fallback: bool, what: str) -> WordPieceTokenizer:
    if folder is not None:
        return WordPieceTokenizer.from_file(folder / "vocab.txt")
    if not allow_fallback:
        raise PretrainedWeightsError(f"no DistilBERT files configured for the {what}; {BERT_HINT}")
    warnings.warn(
        f"DistilBERT tokenizer: no vocab.txt, using a character-level stand-in (allow_random); {BERT_HINT}",
        RuntimeWarning,
        stacklevel=3,
    )
    return WordPieceTokenizer(_fallback_vocab())


def _folder(model_dir: str | os.PathLike[str] | None) -> Path | None:
    folder = resolve_path(model_dir, BERT_DIR_ENV, "model_dir", BERT_HINT)
    if folder is not None and not folder.is_dir():
        raise PretrainedWeightsError(f"{str(folder)!r} is not a folder; {BERT_HINT}")
    return folder


def load_bert(
    model_dir: str | os.PathLike[str] | None = None,
    *,
    allow_random: bool = False,
    device: str | torch.device = "cpu",
    seed: int = 0,
    **config: object,
) -> DistilBertEncoder:
    """Pretrained DistilBERT from ``model_dir`` / ``$CLIPORT_DISTILBERT``.

    Without files: a clear error, or (``allow_random=True``) a random model and a stand-in tokenizer,
    with a warning. ``config`` overrides sizes (e.g. a tiny model for tests).
    """
    folder = _folder(model_dir)
    cfg = _config_from(folder, config)
    tokenizer = _tokenizer(folder, allow_random, "text encoder")
    model = _random_model(cfg, seed)
    if folder is None:
        warnings.warn(f"DistilBERT is RANDOMLY INITIALISED (allow_random); {BERT_HINT}", RuntimeWarning, 2)
    else:
        weights = next((folder / n for n in WEIGHT_FILES if (folder / n).is_file()), None)
        if weights is None:
            raise PretrainedWeightsError(f"{str(folder)!r} has none of {list(WEIGHT_FILES)}; {BERT_HINT}")
        state = {k.removeprefix("distilbert."): v for k, v in read_tensors(weights).items()}
        load_checked(model, state, str(weights), ignore_prefixes=HEAD_PREFIXES)
    return DistilBertEncoder(model.to(device), tokenizer)


def load_bert_untrained(
    model_dir: str | os.PathLike[str] | None = None,
    *,
    allow_random: bool = False,
    device: str | torch.device = "cpu",
    seed: int = 0,
    **config: object,
) -> DistilBertEncoder:
    """The "untrained" baseline: randomly initialised DistilBERT (from ``seed``) + the pretrained tokenizer.

    The tokenizer's vocab.txt comes from ``model_dir`` / ``$CLIPORT_DISTILBERT``; without it, a clear
    error unless ``allow_random=True`` (stand-in tokenizer, warning).
    """
    folder = _folder(model_dir)
    tokenizer = _tokenizer(folder, allow_random, "untrained text encoder's tokenizer")
    return DistilBertEncoder(_random_model(_config_from(folder, config), seed).to(device), tokenizer)
