"""Evaluation: rollouts of an agent in the simulator, checkpoint selection, results files."""
