"""Realistic wrong answers for 07_cnn_gpu, one solution cell each.

The reference train_cnn uses the student's get_device (when no device is
given), normalize and SimpleCNN. The grader trains it (it calls train_cnn
itself) and scores the weights in the docstring's SimpleCNN, through the
lesson's own normalize (issue 32). So:

- a device that does not exist here ("cuda" on a machine without a GPU)
  also stops training: the model cannot be built there;
- float64 inputs for float32 weights stop training too;
- inputs in [0, 1] or standardised train a network on inputs that the
  lesson's normalize does not give: scored through it, it reaches less;
- a network other than the docstring's (too few filters, or no
  convolutions) fails its own check, and its weights do not fit the
  network they are scored in.

Accuracies are held-out test accuracies in the test suite's quick mode
(20 000 training examples, 1 epoch; the reference reaches 0.8508, 0.016
over the full-points edge of 0.835), measured with the grader.
Standardised inputs reach 0.8189, 0.016 under that edge and 0.019 over
the 50% tier's. (Until issue 34 quick mode trained on 10 000 examples
for 3 epochs: 11.5 s a training call against 7.5 s; the reference then
reached 0.8716 and standardised inputs 0.8416, 0.008 under the edge.)
"""

import torch

from tests.mistakes import Mistake

# "cuda" is a device only where there is a GPU: elsewhere the model cannot be built there.
NO_GPU_HERE = () if torch.cuda.is_available() else ("train_cnn",)

_DEVICE = "def get_device():\n{body}"
_NORMALIZE = "def normalize(images):\n    return {expression}\n"
_CNN = (
    "class SimpleCNN(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.features = nn.Sequential({features})\n"
    "        self.head = nn.Sequential({head})\n"
    "\n"
    "    def forward(self, x):\n"
    "        return self.head(self.features(x))\n"
)
_BLOCKS = (
    "nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), "
    "nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2)"
)
_TRAIN = (
    "def train_cnn(images, labels, epochs=5, batch_size=256, lr={lr}, seed=0, device=None, history=None):\n"
    "    torch.manual_seed(seed)\n"
    "    device = torch.device(device) if device is not None else get_device()\n"
    "    images, labels = images.to(device), labels.to(device)\n"
    "    model = SimpleCNN().to(device)\n"
    "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
    "    steps = epochs * ((len(images) + batch_size - 1) // batch_size)\n"
    "    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)\n"
    "    for epoch in tqdm(range(epochs), desc='train_cnn'):\n"
    "        model.train()\n"
    "        order = torch.randperm(len(images), device=device)\n"
    "        for start in range(0, len(images), batch_size):\n"
    "            batch = order[start:start + batch_size]\n"
    "            loss = F.cross_entropy(model(normalize(images[batch])), {targets})\n"
    "{zero}"
    "            loss.backward()\n"
    "            optimizer.step()\n"
    "            scheduler.step()\n"
    "    return model\n"
)
_ZERO = "            optimizer.zero_grad()\n"

MISTAKES = {
    # get_device
    "cuda_or_cpu_only": Mistake(
        "get_device",
        _DEVICE.format(body="    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"),
        "forgets Apple's mps: a Mac trains on its CPU",
    ),
    "always_cuda": Mistake(
        "get_device",
        _DEVICE.format(body="    return torch.device('cuda')\n"),
        "assumes a GPU: on a machine without one, the model and tensors go to a device that is not there",
        loses=("get_device", *NO_GPU_HERE),
    ),
    "device_name_only": Mistake(
        "get_device",
        _DEVICE.format(body="    return 'cuda' if torch.cuda.is_available() else 'cpu'\n"),
        "returns the device's name, a string: train_cnn's device.type then fails, and its message says that "
        "get_device fails its own check",
        loses=("get_device", "train_cnn"),
        says={"get_device": ("not a torch.device",)},
    ),
    "mps_before_cuda": Mistake(
        "get_device",
        _DEVICE.format(
            body="    if torch.backends.mps.is_available():\n        return torch.device('mps')\n"
            "    if torch.cuda.is_available():\n        return torch.device('cuda')\n"
            "    return torch.device('cpu')\n"
        ),
        "asks for mps before cuda",
    ),
    # normalize
    "zero_to_one": Mistake(
        "normalize",
        _NORMALIZE.format(expression="images.float() / 255"),
        "stops at [0, 1] (ToTensor) where [-1, 1] is asked: the network learns from inputs the lesson's own "
        "normalize, which the grader scores it through, does not give (0.5655)",
        loses=("normalize", "train_cnn"),
    ),
    "float64": Mistake(
        "normalize",
        _NORMALIZE.format(expression="images.double() / 127.5 - 1"),
        "the right values in float64: the float32 network refuses them",
        loses=("normalize", "train_cnn"),
    ),
    "standardised": Mistake(
        "normalize",
        _NORMALIZE.format(expression="(images.float() / 255 - 0.2860) / 0.3530"),
        "standardises with the data set's mean and std instead: scored through the lesson's own normalize, the "
        "network trained on these inputs reaches less (0.8189)",
        partial={"train_cnn": 0.5},
        loses=("normalize",),
    ),
    # SimpleCNN
    "softmax_head": Mistake(
        "SimpleCNN",
        _CNN.format(
            features=_BLOCKS,
            head="nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=1)",
        ),
        "returns probabilities where logits are expected: cross-entropy on them learns slowly (0.6496)",
        loses=("SimpleCNN", "train_cnn"),
    ),
    "no_convolution": Mistake(
        "SimpleCNN",
        _CNN.format(features="nn.Flatten(), nn.Linear(784, 256), nn.ReLU()", head="nn.Linear(256, 10)"),
        "an MLP under the CNN's name: its weights do not fit the docstring's SimpleCNN, which the grader scores "
        "them in",
        loses=("SimpleCNN", "train_cnn"),
    ),
    "no_padding": Mistake(
        "SimpleCNN",
        _CNN.format(
            features=_BLOCKS.replace(", padding=1", ""),
            head="nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)",
        ),
        "3x3 convolutions without padding=1: 28x28 shrinks to 5x5, and the head's Linear(32 * 7 * 7, 128) does "
        "not fit; the hint says so, not only torch's mat1 and mat2 error",
        loses=("SimpleCNN", "train_cnn"),
        says={"SimpleCNN": ("padding=1",)},
    ),
    "too_small": Mistake(
        "SimpleCNN",
        _CNN.format(
            features="nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4)", head="nn.Flatten(), nn.Linear(49, 10)"
        ),
        "one 3x3 filter and a linear head: a real CNN, but not the docstring's (issue 32: the architecture is "
        "a contract), so neither its check nor its training, scored in the docstring's network, earns points",
        loses=("SimpleCNN", "train_cnn"),
        says={"SimpleCNN": ("does not have the docstring's Conv2d(1, 16, kernel_size=3, padding=1)",)},
    ),
    # train_cnn
    "labels_not_shuffled": Mistake(
        "train_cnn",
        _TRAIN.format(lr=0.01, targets="labels[start:start + batch_size]", zero=_ZERO),
        "shuffles the images but takes the labels in order: it learns noise (0.1000)",
    ),
    "no_zero_grad": Mistake(
        "train_cnn",
        _TRAIN.format(lr=0.01, targets="labels[batch]", zero=""),
        "never calls optimizer.zero_grad(): the gradients pile up (0.1898)",
    ),
    "lr_too_high": Mistake(
        "train_cnn",
        _TRAIN.format(lr=0.5, targets="labels[batch]", zero=_ZERO),
        "a peak learning rate of 0.5 for Adam: training blows up (0.1000)",
    ),
}
