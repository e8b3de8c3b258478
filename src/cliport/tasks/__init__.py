"""The benchmark's tasks: a registry filled by a decorator, one module per task family, their oracles."""
