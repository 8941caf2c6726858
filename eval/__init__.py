"""Measuring models: metrics, the evaluation harness and comparison reports."""
