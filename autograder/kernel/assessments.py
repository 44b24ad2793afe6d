"""Checks that have no single right value, shared by the judge and the public checks.

An exercise whose answer is random (He initialisation, a PyTorch model's
weights) or structural is ``assess``ed: these functions look at what the
student's function gave (decoded by the probe) and return None, or
(problem kind, explanation). A trained network is scored through a
``predict`` from here. They are written from the task statement and say no
more than the hints do, so they ship to students with the public checks
(the student kit) as well as running in the judge: one copy of each rule.
"""

from __future__ import annotations

import math

import numpy as np

from autograder import backbone, data, probe
from autograder.checks import _fmt
from autograder.i18n import N_, _
from autograder.training import NotAModel

IMAGE_PIXELS = 28 * 28
NUM_CLASSES = 10


# ------------------------------------------------------ the shape of a value


def what(value) -> str:
    """What a decoded value is, for messages."""
    if isinstance(value, probe.Tensor):
        return _("a torch tensor (dtype {dtype}, shape {shape})").format(
            dtype=value["dtype"], shape=tuple(value["array"].shape)
        )
    if isinstance(value, probe.Other):
        return _("an object of type {type}").format(type=value["type"])
    if isinstance(value, np.ndarray):
        return _("a numpy array of shape {shape}").format(shape=value.shape)
    return _("a {type}").format(type=type(value).__name__)


def tensor_problem(value, where: str, shape: tuple, dtype: str = "torch.float32"):
    """None, or (kind, explanation) when ``value`` is not a tensor of this shape and dtype."""
    if not (isinstance(value, probe.Tensor)):
        return "type", _("{where} should be a torch tensor, got {actual}").format(where=where, actual=what(value))
    if tuple(value["array"].shape) != shape:
        return "shape", _("{where} should have shape {expected}, got shape {actual}").format(
            where=where, expected=shape, actual=tuple(value["array"].shape)
        )
    if value["dtype"] != dtype:
        return "dtype", _("{where} should have dtype {expected}, got dtype {actual}").format(
            where=where, expected=dtype, actual=value["dtype"]
        )
    if not np.isfinite(value["array"]).all():
        return "nan", _("{where} holds NaN or inf").format(where=where)
    return None


def module_problem(value, call: str):
    """None, or a problem when the harness module_outputs could not build a torch.nn.Module with ``call``."""
    if not isinstance(value, dict) or "module" not in value:
        return "type", _("{call} could not be run as a model: got {actual}").format(call=call, actual=what(value))
    if not value["module"]:
        return "type", _("{call} should give a torch.nn.Module, got an object of type {type}").format(
            call=call, type=value["type"]
        )
    return None


def logits_problem(value, where: str, n: int):
    """None, or a problem when ``value`` is not an (n, 10) float32 tensor of logits."""
    problem = tensor_problem(value, where, (n, 10))
    if problem:
        return problem
    out = value["array"].astype(np.float64)
    if (out >= 0).all() and np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
        return "probabilities", _(
            "{where} gives probabilities (every row is non-negative and sums to 1), where logits are expected"
        ).format(where=where)
    return None


# ---------------------------------------------------------------- init_mlp (03)


def _check_params(sizes, params, call):
    """None, or (kind, explanation) for one result of init_mlp."""
    layers = len(sizes) - 1
    if not isinstance(params, (list, tuple)):
        return "type", _("{call} should return a list of (W, b) pairs, got {actual}").format(
            call=call, actual=probe.type_name(params)
        )
    if len(params) != layers:
        if layers > 1:
            message = _("{call} should return {count} (W, b) pairs, one per layer, got {actual}")
        else:
            message = _("{call} should return {count} (W, b) pair, one per layer, got {actual}")
        return "shape", message.format(call=call, count=layers, actual=len(params))
    for i, pair in enumerate(params):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            if isinstance(pair, (list, tuple)):
                got = _("{count} items").format(count=len(pair))
            else:
                got = probe.type_name(pair)
            return "type", _("{call}[{index}] should be a pair (W, b), got {actual}").format(
                call=call, index=i, actual=got
            )
        d_in, d_out = sizes[i], sizes[i + 1]
        for name, array, shape in (("W", pair[0], (d_in, d_out)), ("b", pair[1], (d_out,))):
            where = f"{call}[{i}]: {name}"
            if not isinstance(array, np.ndarray):
                return "type", _("{where} should be a numpy array, got {actual}").format(
                    where=where, actual=probe.type_name(array)
                )
            if array.shape != shape:
                return "shape", _(
                    "{where} should have shape {expected} for layer {index} ({d_in} -> {d_out} units), "
                    "got shape {actual}"
                ).format(where=where, expected=shape, index=i, d_in=d_in, d_out=d_out, actual=array.shape)
            if array.dtype != np.float64:
                return "dtype", _("{where} should have dtype float64, got dtype {actual}").format(
                    where=where, actual=array.dtype
                )
            if not np.isfinite(array).all():
                return "nan", _("{where} holds NaN or inf").format(where=where)
        W, b = pair
        if np.any(b != 0):
            return "values", _(
                "{call}[{index}]: b should be all zeros, but {nonzero} of its {size} "
                "entries are not (the largest is {largest:.4g} in size)"
            ).format(call=call, index=i, nonzero=np.count_nonzero(b), size=b.size, largest=np.abs(b).max())
        n = W.size
        expected = math.sqrt(2.0 / d_in)
        mean_tol = 5 * expected / math.sqrt(n) + 1e-3 * expected
        if not abs(W.mean()) <= mean_tol:
            return "values", _(
                "{call}[{index}]: W has mean {mean:.4g}; He-normal weights have mean 0 "
                "(allowed \u00b1{tolerance:.3g} for {count} entries)"
            ).format(call=call, index=i, mean=W.mean(), tolerance=mean_tol, count=n)
        std_tol = 5 / math.sqrt(2 * n) + 0.02
        std = float(W.std())
        if not abs(std / expected - 1) <= std_tol:
            return "values", _(
                "{call}[{index}]: W has standard deviation {std:.4g}; He initialisation for a layer "
                "with d_in = {d_in} inputs gives sqrt(2 / {d_in}) = {expected:.4g} "
                "(allowed {low:.4g} to {high:.4g} for {count} entries)"
            ).format(
                call=call,
                index=i,
                std=std,
                d_in=d_in,
                expected=expected,
                low=expected * (1 - std_tol),
                high=expected * (1 + std_tol),
                count=n,
            )
    return None


def same_params(a, b) -> bool:
    """Whether two results of init_mlp hold the same parameters."""
    if not isinstance(a, list) or not isinstance(b, list) or len(a) != len(b):
        return False
    return all(np.array_equal(Wa, Wb) and np.array_equal(ba, bb) for (Wa, ba), (Wb, bb) in zip(a, b))


def assess_init(args, kwargs, value):
    """Every init_mlp case makes three calls: its own, the same seed again, then seed + 1."""
    sizes = list(args[0])
    seed = kwargs.get("seed", 0)
    first = f"init_mlp({sizes}{f', seed={seed}' if 'seed' in kwargs else ''})"
    calls = (first, f"init_mlp({sizes}, seed={seed})", f"init_mlp({sizes}, seed={seed + 1})")
    if not isinstance(value, list) or len(value) != len(calls):
        return "type", _("init_mlp should return a list of (W, b) pairs")
    for call, params in zip(calls, value):
        problem = _check_params(sizes, params, call)
        if problem:
            return problem
    if not same_params(value[0], value[1]):
        if "seed" not in kwargs:
            return "seed", _(
                "{first} and {second} gave different parameters: the default seed must be 0, "
                "and the same seed must always give the same parameters"
            ).format(first=calls[0], second=calls[1])
        return "seed", _(
            "calling {call} twice gave different parameters: the same seed must give the same ones"
        ).format(call=calls[0])
    if same_params(value[1], value[2]):
        return "seed", _(
            "{first} and {second} gave identical parameters: a different seed must give different ones"
        ).format(first=calls[1], second=calls[2])
    return None


# --------------------------------------------------------------- build_mlp (06)
MLP_SHAPES = [(128, 784), (128,), (10, 128), (10,)]


def _mlp_logits(x, params) -> np.ndarray:
    """The tutorial network's eval-mode output for these parameters, in float64."""
    import torch

    F = torch.nn.functional
    W1, b1, W2, b2 = (torch.from_numpy(p.astype(np.float64)) for p in params)
    h = F.relu(F.linear(torch.from_numpy(x.astype(np.float64)).reshape(len(x), -1), W1, b1))
    return F.linear(h, W2, b2).numpy()


def assess_build_mlp(args, kwargs, value):
    x, _seed = args
    call = "build_mlp()"
    problem = module_problem(value, call) or logits_problem(
        value["eval"], _("{call}(x) for x of shape {shape}").format(call=call, shape=x.shape), len(x)
    )
    if problem:
        return problem
    shapes = [tuple(p.shape) for p in value["params"]]
    if shapes != MLP_SHAPES:
        return "layers", _("{call}'s parameters should have the shapes {expected}, got {actual}").format(
            call=call, expected=MLP_SHAPES, actual=shapes
        )
    expected, actual = _mlp_logits(x, value["params"]), value["eval"]["array"]
    if not np.allclose(actual, expected, rtol=1e-4, atol=1e-5):
        return "values", _(
            "{call}(x) in eval mode: expected {expected} "
            "(Flatten, Linear, ReLU, Dropout, Linear with the model's own weights), "
            "got {actual}"
        ).format(call=call, expected=_fmt(expected.astype(np.float32)), actual=_fmt(actual))
    again = value["eval_again"]
    if tensor_problem(again, "", (len(x), 10)) or not np.array_equal(again["array"], actual):
        return "values", _("{call}(x) gives a different output each time in eval mode").format(call=call)
    if value["train"] is None or tensor_problem(value["train"], "", (len(x), 10)):
        return "values", _("{call}(x) in training mode does not give logits of shape ({count}, 10)").format(
            call=call, count=len(x)
        )
    if np.allclose(value["train"]["array"], actual):
        return "dropout", _(
            "{call}(x) gives the same output in training mode as in eval mode: there is no dropout"
        ).format(call=call)
    return None


# ------------------------------------------------------ normalize, SimpleCNN (07)
CONV_LAYERS = ("Conv2d",)
# Pooling as a layer or as a function of torch.nn.functional: both count (probe.FUNCTIONAL_LAYERS).
POOL_LAYERS = ("MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d") + tuple(
    f"F.{name}" for name in ("max_pool2d", "avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool2d", "lp_pool2d")
)


def _pixels_problem(name: str, images, value, expected, range_words: str):
    """None, or a problem: ``value`` should be ``expected`` (pixels to network inputs) as a float32 tensor of
    the images' shape, on the CPU where they came. A result in [0, 1] (ToTensor alone) gets its own kind."""
    call = _("{name}(images) for uint8 images of shape {shape}").format(name=name, shape=images.shape)
    problem = tensor_problem(value, call, images.shape)
    if problem:
        return problem
    actual = value["array"]
    if value["device"] != "cpu":
        return "device", _("{call} moved the images to {device}; keep them on the device they came on").format(
            call=call, device=value["device"]
        )
    if np.allclose(actual, images / 255, atol=1e-6):
        return "range", _("{call} scales to [0, 1] (min {min:.3g}, max {max:.3g}), not {range}").format(
            call=call, min=actual.min(), max=actual.max(), range=_(range_words)
        )
    if not np.allclose(actual, expected, rtol=1e-6, atol=1e-6):
        return "values", _("{call}: expected {expected}, got {actual}").format(
            call=call, expected=_fmt(expected), actual=_fmt(actual)
        )
    return None


def assess_normalize(args, kwargs, value):
    """Lesson 07's normalize: [0, 255] to [-1, 1]."""
    (images,) = args
    return _pixels_problem("normalize", images, value, data.normalize(images), N_("to [-1, 1]"))


def assess_preprocess(args, kwargs, value):
    """Lesson 08's preprocess: the backbone's own standardisation, (images / 255 - MEAN) / STD."""
    (images,) = args
    mean, std = backbone.normalization()
    expected = (images.astype(np.float32) / 255 - mean) / std
    return _pixels_problem("preprocess", images, value, expected, N_("standardised with MEAN and STD"))


def assess_cnn(args, kwargs, value):
    x, _seed = args
    call = "SimpleCNN()"
    problem = module_problem(value, call)
    if problem:
        return problem
    ran = value["ran"]  # torch.nn layers whose forward ran: held but unused ones do not count
    used = _("(the layers its forward used: {layers})").format(layers=_(", ").join(ran) or _("none"))
    if not any(layer in CONV_LAYERS for layer in ran):
        return "layers", _("{call} does not use an nn.Conv2d layer {used}").format(call=call, used=used)
    if not any(layer in POOL_LAYERS for layer in ran):
        return "layers", _(
            "{call} does not pool: use nn.MaxPool2d(2) (or F.max_pool2d(x, 2) in forward) {used}"
        ).format(call=call, used=used)
    if "Linear" not in ran:
        return "layers", _("{call} does not use an nn.Linear head {used}").format(call=call, used=used)
    problem = logits_problem(
        value["eval"], _("{call}(x) for x of shape {shape}").format(call=call, shape=x.shape), len(x)
    )
    if problem:
        return problem
    out, again = value["eval"]["array"], value["eval_again"]
    if tensor_problem(again, "", out.shape) or not np.array_equal(again["array"], out):
        return "values", _("{call}(x) gives a different output each time in eval mode").format(call=call)
    if len(x) > 1 and np.ptp(out, axis=0).max() < 1e-6:
        return "values", _(
            "{call}(x) gives every image the same logits: the output does not depend on the input"
        ).format(call=call)
    return architecture_problem(value.get("params"), CNN_ARCHITECTURE, call)


# The network SimpleCNN's docstring specifies, layer by layer with the shapes of its parameters: the contract
# every SimpleCNN is held to (issue 32: PyTorch's CIFAR-10 tutorial network had earned its points).
CNN_ARCHITECTURE = (
    ("Conv2d(1, 16, kernel_size=3, padding=1)", ((16, 1, 3, 3), (16,))),
    ("BatchNorm2d(16)", ((16,), (16,))),
    ("Conv2d(16, 32, kernel_size=3, padding=1)", ((32, 16, 3, 3), (32,))),
    ("BatchNorm2d(32)", ((32,), (32,))),
    ("Linear(32 * 7 * 7, 128)", ((128, 32 * 7 * 7), (128,))),
    ("Linear(128, 10)", ((10, 128), (10,))),
)


def architecture_problem(params, layers, call: str):
    """None, or ("layers", why) when a model's parameters (arrays, in any order and under any names) are not
    exactly those of ``layers``: (the docstring's words for a layer, the shapes of its parameters). The
    message names the first layer of the docstring that the model lacks, or the parameters it has beyond."""
    if not isinstance(params, (list, tuple)) or not all(isinstance(p, np.ndarray) for p in params):
        return "layers", _("{call}: its parameters could not be read").format(call=call)
    left: dict[tuple, int] = {}
    for array in params:
        left[tuple(array.shape)] = left.get(tuple(array.shape), 0) + 1
    for words, shapes in layers:
        for shape in shapes:
            if not left.get(shape):
                return "layers", _(
                    "{call} does not have the docstring's {layer}: none of its parameters has the shape "
                    "{shape} (its parameters' shapes: {found})"
                ).format(call=call, layer=words, shape=shape, found=_shapes(params))
            left[shape] -= 1
    extra = [shape for shape, count in left.items() for _copy in range(count)]
    if extra:
        return "layers", _(
            "{call} has parameters that the docstring's network does not have, of shapes {shapes}"
        ).format(call=call, shapes=", ".join(str(shape) for shape in extra[:8]))
    return None


def _shapes(params) -> str:
    shown = ", ".join(str(tuple(p.shape)) for p in params[:12])
    return shown + (", ..." if len(params) > 12 else "")


# ------------------------------------------------------- train_mlp's network (05)
def mlp_layers(value) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (W, b) pairs of a network from 784 inputs to 10 classes, or NotAModel saying what is wrong."""
    if not isinstance(value, (list, tuple)) or not value:
        raise NotAModel(_("it is {actual}, not a list of (W, b) pairs").format(actual=what(value)))
    layers = []
    for i, pair in enumerate(value):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise NotAModel(_("layer {index} is {actual}, not a (W, b) pair").format(index=i, actual=what(pair)))
        for name, array in zip(("W", "b"), pair):
            if isinstance(array, probe.Tensor):
                raise NotAModel(
                    _("layer {index}'s {name} is a torch tensor; return numpy arrays").format(index=i, name=name)
                )
            if not isinstance(array, np.ndarray) or array.dtype.kind not in "iuf":
                raise NotAModel(
                    _("layer {index}'s {name} is {actual}, not a numpy array of numbers").format(
                        index=i, name=name, actual=what(array)
                    )
                )
        W, b = pair
        if W.ndim != 2 or b.shape != (W.shape[-1],):
            raise NotAModel(
                _(
                    "layer {index} has W of shape {w_shape} and b of shape {b_shape}; "
                    "expected W (D_in, D_out) and b (D_out,)"
                ).format(index=i, w_shape=W.shape, b_shape=b.shape)
            )
        expected_in = IMAGE_PIXELS if i == 0 else layers[-1][0].shape[1]
        if W.shape[0] != expected_in:
            if i == 0:
                message = _("layer {index}'s W has {rows} rows, but its input is the 784 pixels of an image")
            else:
                message = _("layer {index}'s W has {rows} rows, but its input is layer {previous}'s {inputs} outputs")
            raise NotAModel(message.format(index=i, rows=W.shape[0], previous=i - 1, inputs=expected_in))
        layers.append((W.astype(np.float64), b.astype(np.float64)))
    if layers[-1][0].shape[1] != NUM_CLASSES:
        raise NotAModel(
            _("the last layer has {outputs} outputs, not one per class ({classes})").format(
                outputs=layers[-1][0].shape[1], classes=NUM_CLASSES
            )
        )
    return layers


def predict_mlp(value, images: np.ndarray) -> np.ndarray:
    """Class indices for uint8 images (N, 28, 28): the MLP's forward pass in float64."""
    layers = mlp_layers(value)
    h = data.normalize(images).reshape(len(images), -1).astype(np.float64)
    with np.errstate(all="ignore"):  # a diverged network (inf, NaN weights) just predicts badly
        for i, (W, b) in enumerate(layers):
            h = h @ W + b
            if i < len(layers) - 1:
                h = np.maximum(h, 0)
    return np.argmax(h, axis=1)
