"""cvnn: complex-valued layers and architectures on native complex tensors.

Every layer takes and returns complex tensors (the dtype comes from the input) and computes on the
planar layout inside; containers keep activations planar between layers (see :mod:`cvnn.module`).
The seed's trailing-2 convention lives in :mod:`cvnn.seed`.
"""

from cvnn.activation import BoundedMask, Cardioid, CReLU, ModReLU, Modulus, ZReLU
from cvnn.batchnorm import CBatchNorm1d, CBatchNorm2d
from cvnn.conv import CConv1d, CConv2d, CConvTranspose1d, CConvTranspose2d
from cvnn.dropout import CDropout, CDropout2d
from cvnn.init import complex_glorot_, complex_he_, complex_rayleigh_
from cvnn.layout import (
    FromPlanar,
    FromTrailing,
    ToPlanar,
    ToTrailing,
    complex_to_planar,
    complex_to_trailing,
    planar_cat,
    planar_to_complex,
    trailing_to_complex,
)
from cvnn.linear import CLinear
from cvnn.models import VGG, ComplexGoogLeNet, ComplexLeNet, ComplexVGG, GoogLeNetOutput
from cvnn.module import CFlatten, CIdentity, ComplexModule, CSequential
from cvnn.pooling import (
    CAdaptiveAvgPool1d,
    CAdaptiveAvgPool2d,
    CAvgPool1d,
    CAvgPool2d,
    CMaxPool1d,
    CMaxPool2d,
)
from cvnn.recurrent import CGRU, CLSTM, CLSTMState

CConvTrans2d = CConvTranspose2d  # the seed's name
CBatchnorm = CBatchNorm2d  # the seed's name

__all__ = [
    "CGRU", "CLSTM", "VGG", "BoundedMask", "CAdaptiveAvgPool1d", "CAdaptiveAvgPool2d",
    "CAvgPool1d", "CAvgPool2d", "CBatchNorm1d", "CBatchNorm2d", "CBatchnorm", "CConv1d",
    "CConv2d", "CConvTrans2d", "CConvTranspose1d", "CConvTranspose2d", "CDropout", "CDropout2d",
    "CFlatten", "CIdentity", "CLSTMState", "CLinear", "CMaxPool1d", "CMaxPool2d", "CReLU",
    "CSequential", "Cardioid", "ComplexGoogLeNet", "ComplexLeNet", "ComplexModule", "ComplexVGG",
    "FromPlanar", "FromTrailing", "GoogLeNetOutput", "ModReLU", "Modulus", "ToPlanar",
    "ToTrailing", "ZReLU", "complex_glorot_", "complex_he_", "complex_rayleigh_",
    "complex_to_planar", "complex_to_trailing", "planar_cat", "planar_to_complex",
    "trailing_to_complex",
]
