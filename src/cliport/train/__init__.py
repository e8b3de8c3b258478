"""Training: the data module, the optimisation loop adapter and ``train(cfg)``."""
