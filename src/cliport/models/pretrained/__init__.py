"""Frozen encoders of the RN50-BERT baselines: ImageNet ResNet-50 and DistilBERT (spec models.md §9.2).

Factories (the names ``cliport.agents.encoders`` looks up as ``load_<kind>``):

* :func:`load_rn50` / :func:`load_rn50_untrained`: ImageEncoder over torchvision's ResNet-50 layout;
* :func:`load_bert` / :func:`load_bert_untrained`: TextEncoder over DistilBERT-base-uncased.

Weights are local files the user provides (``$CLIPORT_RN50_WEIGHTS``, ``$CLIPORT_DISTILBERT``);
nothing is downloaded and no extra package is needed. Submodules are imported on first use.
"""

from __future__ import annotations

from typing import Any


def load_rn50(*args: Any, **kwargs: Any) -> Any:
    from cliport.models.pretrained.resnet import load_rn50 as factory

    return factory(*args, **kwargs)


def load_rn50_untrained(*args: Any, **kwargs: Any) -> Any:
    from cliport.models.pretrained.resnet import load_rn50_untrained as factory

    return factory(*args, **kwargs)


def load_bert(*args: Any, **kwargs: Any) -> Any:
    from cliport.models.pretrained.bert_encoder import load_bert as factory

    return factory(*args, **kwargs)


def load_bert_untrained(*args: Any, **kwargs: Any) -> Any:
    from cliport.models.pretrained.bert_encoder import load_bert_untrained as factory

    return factory(*args, **kwargs)


__all__ = ["load_bert", "load_bert_untrained", "load_rn50", "load_rn50_untrained"]
