"""Resolve ``train.precision=auto`` to a concrete precision for the training device.

bf16 autocast only pays where the hardware does bf16 arithmetic natively: CUDA devices that report
bf16 support, and CPUs with AMX-BF16 or AVX512-BF16. Elsewhere bf16 is emulated and slower than fp32,
so ``auto`` falls back to fp32 ("32"). The choice is logged so a run says what it trained in.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

log = logging.getLogger(__name__)

#: /proc/cpuinfo flags that mean native bf16 arithmetic.
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU feature flags (empty where /proc/cpuinfo is unavailable, e.g. macOS/Windows)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_has_native_bf16() -> bool:
    """True where the CPU has AMX-BF16 or AVX512-BF16 (torch's own probe, then /proc/cpuinfo)."""
    capability = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "")()
    if "AMX" in capability.upper():
        return True
    return any(flag in cpu_flags() for flag in BF16_CPU_FLAGS)


def cuda_has_bf16() -> bool:
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def resolve_precision(precision: str, device: str) -> str:
    """``auto`` -> ``bf16`` where ``device`` does bf16 natively, else ``32``; other values unchanged."""
    if precision != "auto":
        return precision
    native = cuda_has_bf16() if device.startswith("cuda") else cpu_has_native_bf16()
    chosen = "bf16" if native else "32"
    why = "native bf16 support" if native else "no native bf16 support"
    log.warning("train.precision=auto -> %s on %s (%s)", chosen, device, why)
    return chosen
