#!/usr/bin/python3
"""Makes the ONNX import fixtures under test/fixtures/models/ with PyTorch's exporter
(Debian's python3-torch 1.13, opset 13): small models with seeded weights, saved as model.onnx,
and io.json holding an input batch (NCHW) and PyTorch's output for it.
The TF.js fixtures come from scripts/make-import-fixtures.ts.
Run once: /usr/bin/python3 scripts/make-import-fixtures.py   (the outputs are committed)
"""
import json
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'models')


class SmallCnn(nn.Module):
    """Conv, BatchNorm (random running statistics), pools, Flatten, Gemm, a Reshape, Softmax."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, (3, 2), stride=(1, 2)), nn.Tanh(), nn.BatchNorm2d(6),
            nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
        )
        self.fc = nn.Linear(6 * 3 * 3, 8)
        self.out = nn.Linear(8, 3)
        self.drop = nn.Dropout(0.3)

    def forward(self, x):
        x = self.features(x)
        x = x.reshape(-1, 6 * 3 * 3)
        x = self.drop(torch.sigmoid(self.fc(x)))
        return torch.softmax(self.out(x), dim=1)


class Inception(nn.Module):
    """Branches joined by Concat, GlobalAveragePool, Flatten, and a MatMul + Add classifier."""

    def __init__(self):
        super().__init__()
        self.b1 = nn.Conv2d(3, 4, 1)
        self.b3 = nn.Sequential(nn.Conv2d(3, 2, 1), nn.ReLU(), nn.Conv2d(2, 5, 3, padding=1, bias=False))
        self.bp = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(3, 2, 1))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.w = nn.Parameter(torch.randn(11, 4))
        self.b = nn.Parameter(torch.randn(4))

    def forward(self, x):
        y = torch.cat([torch.relu(self.b1(x)), self.b3(x), self.bp(x)], dim=1)
        y = torch.flatten(self.gap(y), 1)
        return y @ self.w + self.b


class Residual(nn.Module):
    """A residual block: Conv, ReLU, Conv, Add of the block input, ReLU, global pool, Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 3, 3, padding=1)
        self.conv2 = nn.Conv2d(3, 3, 3, padding=1)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        y = torch.relu(self.conv2(torch.relu(self.conv1(x))) + x)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


class Unsupported(nn.Module):
    """LeakyRelu and an elementwise Mul: the importer must name both."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        return nn.functional.leaky_relu(self.conv(x) * x, 0.1)


def save(model, name, shape):
    model.eval()
    torch.manual_seed(7)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    x = torch.rand(*shape) * 2 - 1
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(directory, 'model.onnx'), opset_version=13,
                      input_names=['input'], output_names=['output'],
                      dynamic_axes={'input': {0: 'N'}, 'output': {0: 'N'}})
    with open(os.path.join(directory, 'io.json'), 'w') as f:
        json.dump({'inputShape': list(x.shape), 'input': x.flatten().tolist(),
                   'outputShape': list(y.shape), 'output': y.flatten().tolist()}, f)
    print(f'{directory}: output {list(y.shape)}')


if __name__ == '__main__':
    torch.manual_seed(1)
    save(SmallCnn(), 'onnx-cnn', (3, 2, 8, 8))
    torch.manual_seed(2)
    save(Inception(), 'onnx-inception', (2, 3, 6, 6))
    torch.manual_seed(3)
    save(Unsupported(), 'onnx-unsupported', (1, 2, 4, 4))
    torch.manual_seed(4)
    save(Residual(), 'onnx-residual', (2, 3, 5, 5))
