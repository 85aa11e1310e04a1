"""Indicator weighting: entropy (objective), AHP (subjective) and their combination."""

from riskcore.weights.entropy import EntropyOverTime, EntropyResult, entropy_over_time, entropy_weights

__all__ = ["EntropyOverTime", "EntropyResult", "entropy_over_time", "entropy_weights"]
