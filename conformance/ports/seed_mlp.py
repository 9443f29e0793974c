"""A hand-written MindSpore port of fixtures/models/seed_mlp_dropout.train.onnx (the seed MLP with a Dropout).

`SeedMLPDropout()` is the correct port. `positional=True` plants the porter's Dropout bug: PyTorch's `nn.Dropout(0.1)`
copied as is, which in MindSpore 2.10 is the deprecated keep_prob=0.1 — it drops 90% in train phase.
"""
from mindspore import nn


class SeedMLPDropout(nn.Cell):
    def __init__(self, positional=False):
        super().__init__()
        self.flatten = nn.Flatten()
        self.dense_relu_sequential = nn.SequentialCell([
            nn.Dense(28 * 28, 64),
            nn.ReLU(),
            nn.Dropout(0.1) if positional else nn.Dropout(p=0.1),
            nn.Dense(64, 10),
        ])

    def construct(self, x):
        return self.dense_relu_sequential(self.flatten(x))
