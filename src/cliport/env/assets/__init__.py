"""Procedurally generated assets, written once into a cache folder with the original's relative paths.

Each generator is registered against the relative path it produces (``ur5/ur5.urdf``,
``stacking/block.urdf``, ...). :func:`ensure_assets` writes whatever is missing; a user may instead point
``assets_root`` at a folder with the same layout (e.g. the original assets).
"""

from cliport.env.assets.registry import (
    AssetError,
    asset_generator,
    default_assets_root,
    ensure_assets,
    registered_assets,
    resolve_asset,
)

__all__ = [
    "AssetError",
    "asset_generator",
    "default_assets_root",
    "ensure_assets",
    "registered_assets",
    "resolve_asset",
]
