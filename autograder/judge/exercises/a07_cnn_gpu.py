"""07_cnn_gpu: picking a device, normalising on the device, a small CNN, and training it fast.

get_device runs while the probe makes torch report chosen accelerators
(probe.device_choice), so its logic is checked on any machine; it must
return a torch.device, not its name (train_cnn uses device.type). normalize
runs on tensors that share memory with the grader's copies, so in-place
edits show. SimpleCNN is checked on what it builds (the docstring's layers,
by the shapes of its parameters) and what it outputs; its weights are
random, so there is no reference output to match. train_cnn is called by
the grader itself (Training.harness); the weights it returns are scored in
the reference SimpleCNN, on the reference normalize.
"""

import numpy as np

from autograder.checks import Case, Exercise
from autograder.assessments import assess_cnn, assess_normalize
from autograder.training import Training, predictions_from_kernel
from autograder.judge.exercises.reference import _torch, course_normalize, first_training_examples, uint8_images


# ---------------------------------------------------------------- get_device
def _get_device_ref():
    torch = _torch()
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _machine(cuda: bool, mps: bool):
    return lambda rng: (cuda, mps)


get_device = Exercise(
    signature="get_device()",
    reference=_get_device_ref,
    harness="device_choice",
    cases=(
        Case("a machine with no accelerator", _machine(False, False)),
        Case("a machine with an NVIDIA GPU", _machine(True, False)),
        Case("a Mac with Apple silicon (mps)", _machine(False, True)),
        Case("a machine that reports both", _machine(True, True)),
        # The same machines again: every kind of machine has a public case (there are no others).
        Case("a Mac with Apple silicon (mps)", _machine(False, True), hidden=True),
        Case("a machine that reports both", _machine(True, True), hidden=True),
    ),
    hints={
        "values": "Ask torch, in order: torch.cuda.is_available(), then torch.backends.mps.is_available(); "
        'otherwise "cpu". Return torch.device(...).',
        "values~not a torch.device": 'Return torch.device("cuda") (or "mps", "cpu"), not the name alone: '
        "train_cnn and the cells below use device.type, which a string does not have.",
        "default": "Ask torch, in order: torch.cuda.is_available(), then torch.backends.mps.is_available(); "
        'otherwise "cpu".',
    },
)


# ----------------------------------------------------------------- normalize
_normalize_ref = course_normalize


normalize = Exercise(
    signature="normalize(images)",
    reference=_normalize_ref,
    harness="on_tensors",
    assess=assess_normalize,
    cases=(
        Case("a batch of 4 images (4, 1, 28, 28)", uint8_images(4, 1, 28, 28)),
        Case("images without a channel axis (3, 28, 28)", uint8_images(3, 28, 28), hidden=True),
        Case("a batch of 256 images", uint8_images(256, 1, 28, 28), hidden=True),
    ),
    hints={
        "range": "Divide by 255 for [0, 1], then subtract 0.5 and divide by 0.5 for [-1, 1].",
        "dtype": "Convert with images.float() before dividing: the model's weights are float32.",
        "mutated": "Build a new tensor, (images.float() / 255 - 0.5) / 0.5, rather than editing images in place.",
        "default": "(images.float() / 255 - 0.5) / 0.5 maps 0 to -1 and 255 to 1.",
    },
)


# ----------------------------------------------------------------- SimpleCNN
def _simple_cnn_ref():
    """The lesson's CNN. SimpleCNN is assessed, not compared with it (its weights are random): it must have
    exactly this network's parameters (assessments.CNN_ARCHITECTURE, the docstring's layers), and behave
    as a CNN's logits should."""
    nn = _torch().nn

    def block(c_in, c_out):
        return [
            nn.Conv2d(c_in, c_out, 3, padding=1),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]

    return nn.Sequential(
        *block(1, 16), *block(16, 32), nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)
    )


SimpleCNN = Exercise(
    signature="SimpleCNN()",
    reference=_simple_cnn_ref,
    harness="module_outputs",
    assess=assess_cnn,
    cases=(
        Case("a batch of 4 images", lambda rng: (rng.uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32), 0)),
        Case("one image", lambda rng: (rng.uniform(-1, 1, (1, 1, 28, 28)).astype(np.float32), 1), hidden=True),
        Case(
            "a batch of 64 images", lambda rng: (rng.uniform(-1, 1, (64, 1, 28, 28)).astype(np.float32), 2), hidden=True
        ),
    ),
    hints={
        "probabilities": "Return the logits of the last nn.Linear: F.cross_entropy applies log-softmax itself.",
        "layers": "Two blocks of nn.Conv2d(..., kernel_size=3, padding=1), nn.ReLU() and nn.MaxPool2d(2) (or "
        "F.max_pool2d(x, 2) in forward), then nn.Flatten() and nn.Linear layers down to 10 classes.",
        "error~mat1 and mat2 shapes cannot be multiplied": "The first nn.Linear does not fit what reaches it. Give "
        "every 3x3 nn.Conv2d padding=1, so that it keeps 28x28 (without it, 28x28 becomes 26x26), and two 2x2 "
        "poolings leave 7x7: then the head takes channels * 7 * 7 inputs.",
        "shape": "After two 2x2 poolings a 28x28 image is 7x7: the first nn.Linear takes channels * 7 * 7 "
        "inputs. Flatten with nn.Flatten() or x.flatten(1), which keep the batch dimension.",
        "default": "Two blocks of nn.Conv2d, nn.ReLU and nn.MaxPool2d(2), then nn.Flatten() and a linear head.",
    },
)


# ----------------------------------------------------------------- train_cnn
train_cnn = Training(
    signature="train_cnn(images, labels, epochs=5, batch_size=256, lr=0.01, seed=0, device=None, history=None)",
    harness="train_cnn_run",
    inputs=first_training_examples,  # as the notebook's data cell (the harness adds the channel)
    architecture=_simple_cnn_ref,
    preprocess=_normalize_ref,
    assignment="07_cnn_gpu",
    variable="model",
    predict=predictions_from_kernel,
    predicts_in_kernel=True,
    normalize="normalize",
    builds_on=("get_device", "normalize", "SimpleCNN"),
    hints={
        "model": "train_cnn must return the trained SimpleCNN.",
        "accuracy": "First make every check above pass. Then check the recipe: torch.manual_seed(seed), "
        "SimpleCNN().to(device), Adam with the OneCycleLR schedule stepped after every batch, "
        "a fresh torch.randperm order every epoch, and the defaults. history['loss'] should fall.",
    },
)

EXERCISES = (get_device, normalize, SimpleCNN, train_cnn)
