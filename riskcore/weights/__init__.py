"""Indicator weighting: entropy (objective), AHP (subjective) and their combination."""
