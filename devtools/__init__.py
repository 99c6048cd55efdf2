"""Helpers for the tests and benchmarks (not part of the product): local servers they start and wait for."""
