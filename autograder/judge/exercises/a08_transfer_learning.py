"""08_transfer_learning: a pretrained backbone, frozen, with a new head for classes it never saw.

Every function but the training runs through a harness (autograder/probe.py)
on a network of the backbone's architecture with seeded random weights and
running statistics unlike a fresh network's, handed over in training mode:
what the harness reports (the parameters that still train, the new head,
the optimizer's parameters, the features and whether the network changed)
is compared with what the reference does through the same harness. The
fine-tuned model is scored on the test split's images of the target classes
(autograder/backbone.py), preprocessed with the notebook's own
``preprocess``.
"""

import numpy as np

from autograder import backbone
from autograder.assessments import assess_preprocess
from autograder.checks import Case, Exercise
from autograder.training import Training, predictions_from_kernel
from autograder.judge.exercises.reference import _torch, uint8_images

NEW_CLASSES = len(backbone.TARGET_CLASSES)


# ---------------------------------------------------------------- preprocess
def _preprocess_ref(images):
    mean, std = backbone.normalization()
    return (images.float() / 255 - mean) / std


preprocess = Exercise(
    signature="preprocess(images)",
    reference=_preprocess_ref,
    harness="on_tensors",
    assess=assess_preprocess,
    cases=(
        Case("a batch of 4 images (4, 1, 28, 28)", uint8_images(4, 1, 28, 28)),
        Case("images without a channel axis (3, 28, 28)", uint8_images(3, 28, 28)),
        Case("a batch of 256 images", uint8_images(256, 1, 28, 28), hidden=True),
        Case("one image (1, 1, 28, 28)", uint8_images(1, 1, 28, 28), hidden=True),
    ),
    hints={
        "values": "Use the backbone's own statistics, not lesson 07's [-1, 1]: (images.float() / 255 - MEAN) / STD, "
        "with the MEAN and STD of the setup cell. A network sees its inputs as it was trained to.",
        "range": "Dividing by 255 is half of it: then standardise with the backbone's statistics, subtracting MEAN "
        "and dividing by STD.",
        "dtype": "Convert with images.float() before dividing: the backbone's weights are float32.",
        "type": "Return a torch tensor: work on images with torch operations (images.float()), not numpy.",
        "mutated": "Build a new tensor rather than editing images in place.",
        "default": "(images.float() / 255 - MEAN) / STD.",
    },
)


# ----------------------------------------------------------- freeze_backbone
def _freeze_ref(model):
    for parameter in model.features.parameters():
        parameter.requires_grad = False
    return model


freeze_backbone = Exercise(
    signature="freeze_backbone(model)",
    reference=_freeze_ref,
    harness="freeze_run",
    output_names=("what it returned", "the parameters that still train"),
    cases=(
        Case("the backbone's architecture, every parameter trainable", lambda rng: (int(rng.integers(0, 1000)),)),
        Case("another seed", lambda rng: (int(rng.integers(0, 1000)),), hidden=True),
    ),
    hints={
        "values:the parameters that still train": "Set requires_grad = False on every parameter of "
        "model.features (for p in model.features.parameters(): ...), and leave model.head trainable. "
        "model.requires_grad = False only adds an attribute: it freezes nothing.",
        "values:what it returned": "Return the model you were given (changed in place), so that calls chain: "
        "replace_head(freeze_backbone(model), 4).",
        "default": "for p in model.features.parameters(): p.requires_grad = False; then return model.",
    },
)


# -------------------------------------------------------------- replace_head
def _replace_head_ref(model, num_classes):
    model.head = _torch().nn.Linear(model.head.in_features, num_classes)
    return model


def _head_case(num_classes, n):
    def make(rng):
        return num_classes, int(rng.integers(0, 1000)), rng.uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32)

    return make


replace_head = Exercise(
    signature="replace_head(model, num_classes)",
    reference=_replace_head_ref,
    harness="replace_head_run",
    output_names=(
        "what it returned",
        "the new head",
        "the backbone's features",
        "the parameters that train",
        "the output's shape",
    ),
    cases=(
        Case(f"{NEW_CLASSES} new classes, a batch of 3", _head_case(NEW_CLASSES, 3)),
        Case("2 new classes, one image", _head_case(2, 1)),
        Case("10 new classes, a batch of 5", _head_case(10, 5), hidden=True),
        Case(f"{NEW_CLASSES} new classes, another seed", _head_case(NEW_CLASSES, 2), hidden=True),
    ),
    hints={
        "values:the new head": "Size the new head for the new task: one output per new class (num_classes), and "
        "as many inputs as the old head takes. model.head.out_features is the number of the old classes.",
        "values:the output's shape": "The model should give one logit per new class: setting an attribute of the "
        "old head resizes nothing, so make a new layer sized for num_classes and put it in the old one's place.",
        "values:the backbone's features": "Keep the pretrained model.features: replace only model.head, on the "
        "model you were given. A new network would throw the pretraining away.",
        "values:the parameters that train": "A new nn.Linear trains (requires_grad is True): create it after "
        "freezing, and do not freeze it.",
        "values:what it returned": "Return the model you were given, with its new head.",
        "error~mat1 and mat2 shapes cannot be multiplied": "The new head does not fit the features: it must take "
        "as many inputs as the old head took (an nn.Linear keeps that number as an attribute).",
        "default": "Put a new linear layer in place of model.head, with as many inputs as the old head and one "
        "output per new class; then return the model you were given.",
    },
)


# ----------------------------------------------------------- count_trainable
def _count_ref(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _frozen(what):
    return lambda rng: (int(rng.integers(0, 1000)), what)


count_trainable = Exercise(
    signature="count_trainable(model)",
    reference=_count_ref,
    harness="count_run",
    cases=(
        Case("features frozen, head trainable", _frozen("features")),
        Case("nothing frozen", _frozen("none")),
        Case("everything frozen", _frozen("all")),
        Case("features frozen, another seed", _frozen("features"), hidden=True),
    ),
    hints={
        "values": "Count numbers, not tensors (a tensor's numel() says how many numbers it holds), and only the "
        "parameters that train (their requires_grad is True).",
        "type": "Return a Python int: p.numel() is one, and their sum is one too.",
        "default": "Go through the model's parameters, keep those that train, and add up how many numbers each holds.",
    },
)


# ------------------------------------------------------------ make_optimizer
def _make_optimizer_ref(model, lr):
    torch = _torch()
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)


def _optimizer_case(num_classes, lr):
    return lambda rng: (int(rng.integers(0, 1000)), num_classes, lr)


make_optimizer = Exercise(
    signature="make_optimizer(model, lr)",
    reference=_make_optimizer_ref,
    harness="optimizer_run",
    output_names=("the optimizer's type", "the parameters it updates", "its learning rate"),
    cases=(
        Case(f"features frozen, a head for {NEW_CLASSES} classes, lr 0.01", _optimizer_case(NEW_CLASSES, 0.01)),
        Case("features frozen, a head for 3 classes, lr 0.003", _optimizer_case(3, 0.003), hidden=True),
    ),
    hints={
        "values:the parameters it updates": "Give the optimizer only the parameters that train: "
        "[p for p in model.parameters() if p.requires_grad] (here, the head's).",
        "values:the optimizer's type": "Use torch.optim.Adam, as every PyTorch lesson of the course does.",
        "values:its learning rate": "Pass the learning rate on: torch.optim.Adam(..., lr=lr).",
        "default": "torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr).",
    },
)


# ---------------------------------------------------------- extract_features
def _extract_features_ref(model, images, batch_size=500):
    torch = _torch()
    model.eval()
    with torch.no_grad():
        parts = [model.features(_preprocess_ref(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
    return torch.cat(parts)


def _features_case(n, batch_size):
    def make(rng):
        images = rng.integers(0, 256, size=(n, 1, 28, 28)).astype(np.uint8)
        return images, int(rng.integers(0, 1000)), batch_size

    return make


extract_features = Exercise(
    signature="extract_features(model, images, batch_size=500)",
    reference=_extract_features_ref,
    harness="features_run",
    builds_on=("preprocess",),
    output_names=("what it returned", "the features", "the backbone afterwards"),
    rtol=1e-4,
    atol=1e-5,
    cases=(
        Case("6 images in batches of 4 (a short last batch)", _features_case(6, 4)),
        Case("one image", _features_case(1, 500)),
        Case("50 images in batches of 16", _features_case(50, 16), hidden=True),
        Case("12 images in one batch", _features_case(12, 500), hidden=True),
    ),
    hints={
        "values:the backbone afterwards": "Call model.eval() first. In training mode every BatchNorm layer "
        "normalises with the batch's own statistics and overwrites the running statistics it learned in "
        "pretraining, which is exactly what a frozen backbone must keep.",
        "values:the features": "Call model.eval(), then, under torch.no_grad(), model.features(preprocess(batch)) "
        "for every batch of batch_size images, and torch.cat the results: (N, model.head.in_features) features "
        "(512 here), not the head's logits.",
        "values:what it returned": "Compute the features under torch.no_grad() and return one float32 tensor "
        "(torch.cat of the batches): features that record gradients keep the whole backbone's graph in memory.",
        "default": "model.eval(); with torch.no_grad(): torch.cat([model.features(preprocess(images[i:i + "
        "batch_size])) for i in range(0, len(images), batch_size)]).",
    },
)


# ---------------------------------------------------------------- fine_tune
def _fine_tune_inputs(target):
    """The few labelled images of the new classes the notebook hands fine_tune, and nothing else."""
    images, labels = backbone.few_labels(target.train_size // len(backbone.TARGET_CLASSES))
    return [images, labels], target.train_args()


def _transfer_network():
    """The course's pretrained backbone with a new head for the new classes: the student's trained head is
    loaded into it (Training.trained), the backbone stays the course's."""
    model = backbone.load_backbone()
    model.head = _torch().nn.Linear(model.head.in_features, len(backbone.TARGET_CLASSES))
    return model


fine_tune = Training(
    signature="fine_tune(backbone, images, labels, num_classes, epochs=200, lr=0.01, seed=0, history=None)",
    harness="fine_tune_run",
    inputs=_fine_tune_inputs,
    architecture=_transfer_network,
    preprocess=_preprocess_ref,
    trained=("head.",),
    assignment="08_transfer_learning",
    variable="model",
    predict=predictions_from_kernel,
    predicts_in_kernel=True,
    normalize="preprocess",
    classes=backbone.TARGET_CLASSES,
    builds_on=("preprocess", "freeze_backbone", "replace_head", "make_optimizer", "extract_features"),
    hints={
        "model": "fine_tune must return the whole model (the frozen backbone with its trained new head), "
        "not the head alone: the grader runs model(preprocess(images)).",
        "accuracy": "First make every check above pass. Then check the recipe: torch.manual_seed(seed), a copy "
        "of the backbone (copy.deepcopy) frozen with a new head, the features extracted once, and Adam "
        "(make_optimizer) on the head for every epoch over all the features, with the defaults. "
        "history['loss'] should fall.",
    },
)

EXERCISES = (preprocess, freeze_backbone, replace_head, count_trainable, make_optimizer, extract_features, fine_tune)
