"""Seed-compatible import name (the seed's file Complex_LeNet.py): see cvnn.seed."""

from cvnn.seed import Complex_LeNet

__all__ = ["Complex_LeNet"]
