"""Cross-check against OpenAI's own CLIP code (model + tokenizer), when a copy is available.

OpenAI's ``clip/model.py``, ``clip/simple_tokenizer.py`` and ``bpe_simple_vocab_16e6.txt.gz`` are read
from the folder named by ``$CLIPORT_REF_OPENAI_CLIP`` (its tokenizer also needs ``ftfy`` and
``regex``). Without it these tests are skipped: they are a fidelity check run by developers, not part
of CI. The CUDA test compares the fp16 recipe of both implementations on a GPU.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

from cliport.models.clip.model import CLIP, ClipConfig, half_precision_
from cliport.models.clip.tokenizer import tokenize

torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)) if torch.cuda.is_available() else 1)
REF = os.environ.get("CLIPORT_REF_OPENAI_CLIP")
pytestmark = pytest.mark.skipif(not REF, reason="set CLIPORT_REF_OPENAI_CLIP to a copy of OpenAI's clip/")


def _module(name: str) -> ModuleType:
    path = Path(REF or "") / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"openai_ref_{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _random_state(cfg: ClipConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Our full model with every tensor random (residual branches and BN statistics included)."""
    gen = torch.Generator().manual_seed(seed)
    state = CLIP(cfg).state_dict()
    for name, t in state.items():
        if name.endswith("num_batches_tracked"):
            continue
        if name.endswith("running_var"):
            t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
        elif name.endswith("running_mean") or name.endswith(".bias"):
            t.copy_(torch.randn(t.shape, generator=gen) * 0.05)
        elif name.endswith("bn3.weight") or ".bn" in name or "downsample.1" in name or "ln" in name:
            t.copy_(1.0 + 0.1 * torch.randn(t.shape, generator=gen))
        elif t.ndim > 0:
            fan_in = t[0].numel() if t.ndim > 1 else t.shape[0]
            t.copy_(torch.randn(t.shape, generator=gen) / fan_in**0.5)
    return state


def _pair(cfg: ClipConfig) -> tuple[CLIP, torch.nn.Module]:
    state = _random_state(cfg)
    ours = CLIP(cfg)
    ours.load_state_dict(state)
    theirs = _module("model").build_model({k: v.clone() for k, v in state.items()}).float()
    theirs.load_state_dict(state)  # build_model rounded the weights to fp16; restore the fp32 values
    return ours.eval(), theirs.eval()


def _layer4(theirs: torch.nn.Module, image: torch.Tensor) -> torch.Tensor:
    """Their layer4 map for an input of any size (the pooled head may reject non-224 inputs)."""
    captured: list[torch.Tensor] = []
    handle = theirs.visual.layer4.register_forward_hook(lambda m, i, o: captured.append(o))
    try:
        theirs.visual(image.type(theirs.dtype))
    except RuntimeError:
        pass
    finally:
        handle.remove()
    return captured[0]


def _ids() -> torch.Tensor:
    return tokenize(["put the red block in the green bowl", "pack all the yellow blocks into the box", "a"])


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).norm() / b.float().norm())


def test_fp32_full_rn50_matches_openai() -> None:
    ours, theirs = _pair(ClipConfig.rn50())
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        image = torch.randn(2, 3, 224, 224, generator=gen)
        assert _rel(ours.encode_image(image), theirs.encode_image(image)) < 1e-5
        pick = torch.randn(1, 3, 320, 320, generator=gen)
        assert _rel(ours.visual.forward_features(pick)[0], _layer4(theirs, pick)) < 1e-5
        ids = _ids()
        assert _rel(ours.encode_text(ids), theirs.encode_text(ids)) < 1e-5


def test_tokenizer_matches_openai_simple_tokenizer() -> None:
    tok = _module("simple_tokenizer").SimpleTokenizer()
    texts = [
        "put the red block in the green bowl",
        "pack the Yellow  blocks\tinto the brown box.",
        "pick up the rope and make a 'u' shape!",
        "it\u2019s a \u201cnice\u201d caf\u00e9 &amp; bar",
        "cafe\u0301 \ufb01sh \uff21\uff22\uff23",
        "stack blocks: 1, 2, 3 -- then (done)?",
        "HTML &lt;b&gt;bold&lt;/b&gt; &amp;amp;",
        "tabs\tand\nnewlines\r\nhere",
        "\x1b[31mred\x1b[0m block\x07 \ufeffbom",
        "\ufb05op \u01c4 \u0133 \uff76\uff9e \u3000space",
    ]
    for text in texts:
        want = [49406, *tok.encode(text), 49407]
        got = tokenize(text)[0]
        assert got[: len(want)].tolist() == want, text
        assert got[len(want) :].eq(0).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fp16_recipe_matches_openai_on_cuda() -> None:
    from cliport.models.clip.encoder import ClipEncoder

    state = _random_state(ClipConfig.rn50())
    ours = CLIP(ClipConfig.rn50())
    ours.load_state_dict(state)
    ours = half_precision_(ours).cuda().eval()
    theirs = _module("model").build_model({k: v.clone() for k, v in state.items()}).cuda().eval()
    ref32 = CLIP(ClipConfig.rn50())
    ref32.load_state_dict(state)
    ref32 = ref32.cuda().eval()
    assert theirs.visual.conv1.weight.dtype == ours.visual.conv1.weight.dtype == torch.float16
    assert ours.visual.bn1.weight.dtype == torch.float32 and ours.ln_final.weight.dtype == torch.float32
    enc = ClipEncoder(ours)
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for shape in ((1, 3, 320, 320), (1, 3, 384, 224), (36, 3, 64, 64)):
            x = torch.randn(*shape, generator=gen).cuda()
            bottleneck, skips = enc.forward_features(x)
            assert bottleneck.dtype == torch.float32 and skips[-1].dtype == torch.float16
            want = _layer4(theirs, x)
            assert _rel(bottleneck, want) < 2e-3, shape
            assert _rel(bottleneck, ref32.visual.forward_features(x)[0]) < 2e-2, shape
        ids = _ids().cuda()
        sentence = enc.encode_ids(ids).sentence
        assert _rel(sentence, theirs.encode_text(ids)) < 2e-3
        assert _rel(sentence, ref32.encode_text(ids)) < 2e-2
