"""train.precision=auto: bf16 where the device does bf16 natively, fp32 elsewhere (both branches forced)."""

import logging

import pytest

from cliport.train import precision as P
from cliport.train.config import TrainConfig


def test_auto_is_the_default():
    assert TrainConfig().train.precision == "auto"


@pytest.mark.parametrize(("capability", "flags", "expected"), [
    ("AVX512", {"avx512f", "avx512_bf16"}, "bf16"),
    ("AVX512", {"avx512f", "amx_bf16", "amx_tile"}, "bf16"),
    ("AVX2", {"avx2", "fma"}, "32"),
    ("AVX512", {"avx512f"}, "32"),
    ("DEFAULT", set(), "32"),
])
def test_auto_on_cpu_follows_the_native_bf16_flags(monkeypatch, caplog, capability, flags, expected):
    monkeypatch.setattr(P.torch.backends.cpu, "get_cpu_capability", lambda: capability)
    monkeypatch.setattr(P, "cpu_flags", lambda: set(flags))
    with caplog.at_level(logging.WARNING, logger=P.__name__):
        assert P.resolve_precision("auto", "cpu") == expected
    assert f"-> {expected} on cpu" in caplog.text


def test_amx_capability_alone_means_bf16(monkeypatch):
    monkeypatch.setattr(P.torch.backends.cpu, "get_cpu_capability", lambda: "AVX512_AMX")  # hypothetical
    monkeypatch.setattr(P, "cpu_flags", lambda: set())
    assert P.resolve_precision("auto", "cpu") == "bf16"


@pytest.mark.parametrize(("supported", "expected"), [(True, "bf16"), (False, "32")])
def test_auto_on_cuda_follows_is_bf16_supported(monkeypatch, supported, expected):
    monkeypatch.setattr(P, "cuda_has_bf16", lambda: supported)
    assert P.resolve_precision("auto", "cuda:0") == expected


@pytest.mark.parametrize("explicit", ["32", "bf16", "16"])
def test_explicit_precision_is_kept(monkeypatch, explicit):
    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: explicit != "32")
    assert P.resolve_precision(explicit, "cpu") == explicit


def test_cpu_flags_reads_the_flags_line(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n\nprocessor\t: 1\n")
    assert P.cpu_flags(info) == {"fpu", "avx512f", "avx512_bf16"}
    assert P.cpu_flags(tmp_path / "missing") == set()


@pytest.mark.parametrize(("native", "expected"), [(True, "bf16"), (False, "32")])
def test_train_hands_the_resolved_precision_to_the_loop(monkeypatch, tmp_path, synthetic_data, native,
                                                        expected):
    from cliport.config import parse_overrides, to_object
    from cliport.train import run

    seen = {}

    def fake_fit(policy, settings, *args, **kwargs):
        seen["precision"] = settings.precision
        return run.LoopResult(0, 0)

    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: native)
    monkeypatch.setattr(run, "fit", fake_fit)
    cfg = to_object(parse_overrides(TrainConfig, [
        f"root_dir={tmp_path}", f"train.data_dir={synthetic_data}", "train.task=place-red-in-green",
        "train.agent=transporter", "train.n_demos=3", "train.n_steps=1", "train.progress=false",
        "train.accelerator=cpu", "train.n_rotations=4", "train.model_options={resnet_base: 4}",
    ]))
    run.train(cfg)
    assert seen["precision"] == expected
