"""Seed-compatible import name (the seed's file complex_neural_net.py): see cvnn.seed."""

from cvnn.seed import CLSTM, CAvgPool2d, CBatchnorm, CConv2d, CConvTrans2d, CLinear, CMaxPool2d

__all__ = ["CLSTM", "CAvgPool2d", "CBatchnorm", "CConv2d", "CConvTrans2d", "CLinear", "CMaxPool2d"]
