"""Seed-compatible import name (the seed's file complex_neural_net.py): see cvnn.seed."""

from cvnn.seed import CAvgPool2d, CBatchnorm, CConv2d, CConvTrans2d, CLinear, CLSTM, CMaxPool2d

__all__ = ["CAvgPool2d", "CBatchnorm", "CConv2d", "CConvTrans2d", "CLinear", "CLSTM", "CMaxPool2d"]
