"""A hand-written MindSpore port of fixtures/models/seed_cnn.bn.onnx, as the seed porting guide writes one.

`SeedCNN()` is the correct port; its arguments plant the bugs a porter makes, for `check --port` to catch:
`pad_mode='same'` (MindSpore's Conv2d default left in place: harmless here, 3×3 stride 1), `has_bias=False`
(MindSpore's Conv2d default left in place: PyTorch's Conv2d has a bias), `flatten=False` (no flatten before the Dense),
`momentum=0.1` (PyTorch's BatchNorm momentum copied as is: MindSpore's is 1 − PyTorch's).
"""
from mindspore import nn, ops


class SeedCNN(nn.Cell):
    def __init__(self, pad_mode='pad', flatten=True, has_bias=True, momentum=0.9):
        super().__init__()
        padding = 1 if pad_mode == 'pad' else 0
        self.layer1 = nn.SequentialCell([
            nn.Conv2d(3, 12, 3, pad_mode=pad_mode, padding=padding, has_bias=has_bias),
            nn.BatchNorm2d(12, momentum=momentum),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        ])
        self.layer2 = nn.SequentialCell([
            nn.Conv2d(12, 4, 3, pad_mode=pad_mode, padding=padding, has_bias=has_bias),
            nn.BatchNorm2d(4, momentum=momentum),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        ])
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc = nn.Dense(100, 10)
        self.flatten = flatten

    def construct(self, x):
        x = self.pool(self.layer2(self.layer1(x)))
        if self.flatten:
            x = ops.flatten(x)
        return self.fc(x)


class SeedCNNRenamed(SeedCNN):
    """The same network with the classifier under another name: its weights are not found by name."""
    def __init__(self):
        super().__init__()
        self.classifier = self.fc
        del self.fc

    def construct(self, x):
        return self.classifier(ops.flatten(self.pool(self.layer2(self.layer1(x)))))
