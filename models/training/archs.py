"""Architecture registry for the potaccel reference models.

Every entry maps a CLI name (``--arch``) to a factory plus the
hyper-parameters it is trained with by default, so that adding a model is a
matter of adding a class and one ``register(...)`` call.

``trained=True`` marks the entries whose default recipe produced the
published model in ``models/``; the others are defined (for 1x28x28 inputs by
default) but their recipes are not validated yet.

All models return raw logits (no softmax in the graph).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCHS = {}


def register(name, description, trained=False, **recipe):
    def deco(factory):
        ARCHS[name] = {
            "factory": factory,
            "description": description,
            "trained": trained,
            "recipe": recipe,
        }
        return factory
    return deco


# --------------------------------------------------------------------------
# LeNet-5 (ReLU / max-pool variant)
# --------------------------------------------------------------------------
@register(
    "lenet5",
    "LeNet-5 (ReLU, max-pool): conv(1->6,5x5,pad2)-ReLU-maxpool2 - conv(6->16,5x5)-ReLU-maxpool2 "
    "- flatten(400) - fc120-ReLU - fc84-ReLU - fc10 (logits)",
    trained=True,
    optimizer="adam", lr=2e-3, weight_decay=0.0, batch_size=128, epochs=20, hflip=True,
)
class LeNet5(nn.Module):
    def __init__(self, in_channels=1, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)   # 6x14x14
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)   # 16x5x5
        x = torch.flatten(x, 1)                      # exported as ONNX Flatten(axis=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class _Linear(nn.Linear):
    """nn.Linear that, in training mode, runs as a 1x1 convolution.

    This PyTorch build has no optimised BLAS (BLAS_INFO=generic -> netlib libblas), so an
    nn.Linear forward+backward is ~6x slower than the same product through oneDNN's
    convolution.  Same parameters and same maths; in eval mode (test accuracy, reference
    logits, ONNX export) it is a plain F.linear, exported as ONNX Gemm.
    """

    def forward(self, x):
        if self.training:
            return F.conv2d(x[:, :, None, None], self.weight[:, :, None, None], self.bias).flatten(1)
        return F.linear(x, self.weight, self.bias)


# --------------------------------------------------------------------------
# Small VGG
# --------------------------------------------------------------------------
@register(
    "vgg-small",
    "VGG-style: [conv3x3-BN-ReLU x2, maxpool2] x3 with 32/64/128 channels (28->14->7->3), "
    "flatten(128*3*3=1152) - fc256-ReLU-dropout(0.3) - fc10 (logits)",
    trained=True,
    optimizer="sgd", lr=0.05, momentum=0.9, weight_decay=5e-4, batch_size=128, epochs=15, hflip=True,
    crop=2, label_smoothing=0.1, channels_last=True,
)
class VGGSmall(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, widths=(32, 64, 128), hidden=256, dropout=0.3):
        super().__init__()
        layers = []
        c = in_channels
        for w in widths:
            for _ in range(2):
                layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
                c = w
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        side = 28
        for _ in widths:
            side //= 2                                 # 28 -> 14 -> 7 -> 3 (floor)
        self.fc1 = _Linear(c * side * side, hidden)
        self.drop = nn.Dropout(dropout)               # identity in eval mode / not in the ONNX graph
        self.fc2 = _Linear(hidden, num_classes)

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)        # exported as ONNX Flatten(axis=1)
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)


# --------------------------------------------------------------------------
# ResNet-20 (He et al. 2016, CIFAR variant)
# --------------------------------------------------------------------------
class _BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            # option B (1x1 projection) keeps the graph to plain Conv/Add ops
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + sc)


@register(
    "resnet20",
    "ResNet-20 (3 stages x 3 basic blocks, 16/32/64 channels, 1x1 projection shortcuts), global avg pool, fc10",
    trained=True,
    optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4, batch_size=128, epochs=15, hflip=True,
    crop=2, label_smoothing=0.1, channels_last=True,
)
class ResNet20(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, n=3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        blocks = []
        cin = 16
        for stage, cout in enumerate((16, 32, 64)):
            for i in range(n):
                stride = 2 if (stage > 0 and i == 0) else 1
                blocks.append(_BasicBlock(cin, cout, stride))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.pool(self.blocks(x))
        return self.fc(torch.flatten(x, 1))


# --------------------------------------------------------------------------
# Small MobileNet (v1-style depthwise separable)
# --------------------------------------------------------------------------
def _dw_sep(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
        nn.BatchNorm2d(cin), nn.ReLU6(inplace=True),      # ReLU6 -> ONNX Clip(0, 6)
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout), nn.ReLU6(inplace=True),
    )


@register(
    "mobilenet-small",
    "MobileNet-v1-style (BN, ReLU6): conv3x3(32) then depthwise-separable blocks 64,128(s2),128,256(s2),256, "
    "global avg pool, fc10",
    trained=True,
    optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-4, batch_size=128, epochs=15, hflip=True,
    crop=2, label_smoothing=0.1, channels_last=True,
)
class MobileNetSmall(nn.Module):
    def __init__(self, in_channels=1, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 32, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(32), nn.ReLU6(inplace=True))
        cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1)]
        layers = []
        c = 32
        for cout, s in cfg:
            layers.append(_dw_sep(c, cout, s))
            c = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.pool(self.features(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


def build(name, **kwargs):
    if name not in ARCHS:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(sorted(ARCHS))}")
    return ARCHS[name]["factory"](**kwargs)
