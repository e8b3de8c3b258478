"""Policies built from the networks: the agent registry, the policy API, checkpoints."""
