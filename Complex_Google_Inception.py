"""Seed-compatible import name (the seed's file Complex_Google_Inception.py): see cvnn.seed."""

from cvnn.seed import Complex_GoogLeNet

__all__ = ["Complex_GoogLeNet"]
