"""Typed configuration with the original's Hydra-style ``key=value`` command-line overrides.

Each entry point declares a dataclass schema; :func:`parse_overrides` merges ``key=value`` strings into it
with OmegaConf, so ``train.agent=cliport n=10 mode=test`` keeps working. Unknown keys and values of the
wrong type are reported with the key's name instead of an OmegaConf traceback.
"""

from __future__ import annotations

from dataclasses import is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from cliport.errors import ConfigError

T = TypeVar("T")


def parse_overrides(schema: Any, overrides: list[str]) -> DictConfig:
    """Merge ``key=value`` overrides into the structured config ``schema`` (a dataclass or instance).

    A bare ``key`` means ``key=true`` (e.g. ``disp``); a leading ``+`` is accepted and ignored.
    """
    if not is_dataclass(schema):
        raise TypeError("schema must be a dataclass or a dataclass instance")
    dotlist = []
    for item in overrides:
        if "=" not in item:
            if item.startswith("-") or not item:
                raise ConfigError(f"unexpected option {item!r}; use key=value overrides (e.g. n=10 task=...)")
            item = f"{item}=true"
        if item.startswith("="):
            raise ConfigError(f"expected key=value, got {item!r}")
        dotlist.append(item.lstrip("+"))
    try:
        cli = OmegaConf.from_dotlist(dotlist)
    except OmegaConfBaseException as err:
        raise ConfigError(f"cannot parse overrides {overrides}: {err}") from None
    try:
        return OmegaConf.merge(OmegaConf.structured(schema), cli)  # type: ignore[return-value]
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or getattr(err, "key", None) or ""
        reason = str(err).splitlines()[0]
        if isinstance(err, ConfigKeyError | ConfigAttributeError):
            raise ConfigError(f"unknown key {key!r} ({reason})") from None
        raise ConfigError(f"bad value for key {key!r}: {reason}") from None


def to_object(cfg: DictConfig) -> Any:
    """The dataclass instance behind a structured config."""
    return OmegaConf.to_object(cfg)


def save_config(cfg: DictConfig, path: str | Path) -> None:
    """Write the resolved config as YAML, atomically."""
    from cliport.atomic import write_bytes_atomic

    write_bytes_atomic(path, OmegaConf.to_yaml(cfg, resolve=True).encode("utf-8"))


def load_config(schema: Any, path: str | Path) -> DictConfig:
    """Read a saved YAML config back into the schema (unknown keys are an error naming them)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        return OmegaConf.merge(OmegaConf.structured(schema), OmegaConf.load(path))  # type: ignore[return-value]
    except OmegaConfBaseException as err:
        first = str(err).splitlines()[0]
        raise ConfigError(f"config file {path} does not match the schema: {first}") from None
