"""Seed-compatible import name (the seed's file Complex_Vgg_net.py): see cvnn.seed."""

from cvnn.seed import Complex_VGG_net

__all__ = ["Complex_VGG_net"]
