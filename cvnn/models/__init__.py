"""Complex architectures (and the real VGG twin), running planar inside."""

from cvnn.models.googlenet import ComplexGoogLeNet, GoogLeNetOutput
from cvnn.models.lenet import ComplexLeNet
from cvnn.models.vgg import VGG, ComplexVGG, vgg_spec

__all__ = ["VGG", "ComplexGoogLeNet", "ComplexLeNet", "ComplexVGG", "GoogLeNetOutput", "vgg_spec"]
