"""Demonstrations and datasets: episode storage, demo generation, original-layout conversion, datasets."""
