"""Call student functions and record what happened, as plain data.

Used in two places, never in the grader's own process:
- the grader's caller (autograder/caller.py), in a sandbox of its own, calls
  each graded function in a forked child and sends the record back;
- the public checks in a student's notebook (autograder/notebook.py).

It must stay standalone (stdlib and numpy; torch only inside the PyTorch
harnesses). The judge reads what it records with ``allow_pickle=False``, so
only numbers, strings and numeric arrays ever reach the judge.
"""

import contextlib
import copy
import json
import signal
import time
import traceback
import warnings
from typing import Any, Literal, TypedDict

import numpy as np

from autograder.i18n import N_, _


CallStatus = Literal["ok", "error", "timeout", "missing"]


class Record(TypedDict, total=False):
    """What one call leaves for the judge (encoded: arrays by key, see ``encode``)."""

    status: CallStatus
    value: Any  # encoded; present when status is "ok"
    error: str
    error_type: str
    traceback: str
    warnings: list[str]  # numerical warnings the call raised
    mutated: list[str]  # positions or names of the inputs it changed
    calls: dict[str, int | None]  # calls to each spy (None: the spy is not defined)
    seconds: float
    standin: dict  # the call again with every spy answering its complement
    not_run: bool  # not made: an earlier case of the function ran out of time
    parameters: int  # a trained PyTorch model's parameter count (the caller's count, for the leaderboard)
    defaults: str  # the signature of the student's train function, as the grade line names it


# The type each field must have; the judge refuses any other record as unreadable.
RECORD_TYPES = {
    "status": str,
    "error": str,
    "error_type": str,
    "traceback": str,
    "warnings": list,
    "mutated": list,
    "calls": dict,
    "seconds": (int, float),
    "standin": dict,
    "not_run": bool,
    "parameters": int,
    "defaults": str,
}
CALL_STATUSES = ("ok", "error", "timeout", "missing")


def validate_record(record) -> Record:
    """``record`` as a Record, or ValueError naming what is wrong with it: it came from student code."""
    if not isinstance(record, dict):
        raise ValueError("a record is a JSON object")
    if record.get("status") not in CALL_STATUSES:
        raise ValueError(f"unknown status {str(record.get('status'))[:40]!r}")
    for name, value in record.items():
        wanted = RECORD_TYPES.get(name)
        if wanted is not None and (not isinstance(value, wanted) or isinstance(value, bool) and wanted is not bool):
            raise ValueError(f"{name} is a {type(value).__name__}")
    if not all(isinstance(item, str) for item in record.get("warnings", []) + record.get("mutated", [])):
        raise ValueError("warnings and mutated hold strings")
    if not all(isinstance(k, str) and (v is None or type(v) is int) for k, v in record.get("calls", {}).items()):
        raise ValueError("calls count each spy's calls")
    return record


class ProbeTimeout(BaseException):
    """BaseException so that a student's ``except Exception`` cannot swallow it."""


class FunctionRef:
    """A scalar test function passed as an argument, such as numerical_gradient's ``f``.

    Plans carry only its name; the kernel and the judge each build it from
    this table, so no code travels between them.
    """

    FUNCTIONS = {
        "sum_of_cubes": lambda x: np.sum(x**3),
        "sin_times_square": lambda x: np.sum(np.sin(x) * x**2),
        "log_sum_exp": lambda x: np.log(np.sum(np.exp(x))),
    }

    def __init__(self, name):
        if name not in self.FUNCTIONS:
            raise ValueError(f"unknown test function {name!r}")
        self.name = name

    def __call__(self, x):
        return float(self.FUNCTIONS[self.name](np.asarray(x, dtype=np.float64)))

    def __eq__(self, other):
        return isinstance(other, FunctionRef) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"<function {self.name}>"


# ---------------------------------------------------------- torch harnesses
# A harness runs a student's function the way a PyTorch exercise needs (a
# model to build and run, a loader and an optimizer to hand over) and
# returns what it did as data. The probe applies it to the student's
# function in the kernel, the judge to the reference, so both are measured
# the same way; plans carry only the harness's name and plain arguments.
def _torch():
    import torch  # only the PyTorch lessons load it here

    return torch


# The harnesses below that build a torch optimizer: its first constructor imports torch._dynamo (about 1 s
# of CPU), which a caller that runs them imports once before it forks a process per call (warm).
OPTIMIZER_HARNESSES = frozenset(
    {"train_epoch_run", "optimizer_run", "train_model_run", "train_cnn_run", "fine_tune_run"}
)


def flavour(calls, torch: bool) -> str:
    """What the caller imports before it reads its plan (it is told on its command line): "numpy";
    "torch" for the PyTorch lessons; "torch+optim" when one of ``calls`` (plan entries) runs a harness
    that builds an optimizer."""
    if not torch:
        return "numpy"
    return "torch+optim" if any(call.get("harness") in OPTIMIZER_HARNESSES for call in calls) else "torch"


def warm(flavour: str) -> None:
    """Import what ``flavour`` names once, in a process that forks a process per call, so that no call's
    process pays it again."""
    if flavour.startswith("torch"):
        _torch()
    if flavour == "torch+optim":
        import torch._dynamo  # noqa: F401  (torch.optim's constructors import it on first use)


def tiny_mlp(seed, dropout):
    """The small seeded network the train_epoch and evaluate checks run on."""
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 10))


def _loader(x, labels, batch_size, shuffle_seed=None):
    """A DataLoader of (x, labels) minibatches, in order or shuffled by a generator seeded ``shuffle_seed``.

    It gives exactly what ``DataLoader(TensorDataset(x, labels), batch_size, shuffle=...)`` gives (the
    same sampler, the same draws from the same generator, the same tensors), but takes each minibatch in
    one indexing rather than one example at a time and a stack: 06's training call spent a fifth of
    its time collating minibatches of 64."""
    torch = _torch()
    dataset = _minibatches(torch.from_numpy(x), torch.from_numpy(labels))
    generator = None if shuffle_seed is None else torch.Generator().manual_seed(shuffle_seed)
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=generator is not None, generator=generator, collate_fn=_as_batch
    )


def _minibatches(*tensors):
    """A TensorDataset that hands a DataLoader a whole minibatch (``__getitems__``, which its fetcher asks
    first): the tensors indexed at once, as default_collate would stack them example by example."""
    torch = _torch()

    class Minibatches(torch.utils.data.TensorDataset):
        def __getitems__(self, indices):
            index = torch.as_tensor(indices, dtype=torch.int64)
            return tuple(tensor[index] for tensor in self.tensors)

    return Minibatches(*tensors)


def _as_batch(batch):
    """The collate function of _loader: the minibatch came whole from Minibatches.__getitems__."""
    return batch


def _params(model):
    return [p.detach().cpu().numpy().copy() for p in model.parameters()]


# Functions of torch.nn.functional (and torch) that count as the layer they compute when a model's
# forward calls them: F.max_pool2d is pooling as nn.MaxPool2d is, as F.relu is a ReLU.
FUNCTIONAL_LAYERS = ("max_pool2d", "avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool2d", "lp_pool2d")


@contextlib.contextmanager
def _functional_calls(names, ran: list):
    """While inside: each call of ``torch.nn.functional.<name>`` (or ``torch.<name>``) is noted in ``ran``
    as "F.<name>"."""
    torch = _torch()
    F = torch.nn.functional
    saved = []
    for module in (F, torch):
        for name in names:
            original = getattr(module, name, None)
            if callable(original):

                def noted(*args, __original=original, __name=name, **kwargs):
                    ran.append(f"F.{__name}")
                    return __original(*args, **kwargs)

                saved.append((module, name, original))
                setattr(module, name, noted)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def module_outputs(factory, x, seed):
    """Build a model with ``factory()`` (a function or an nn.Module class) and run it on ``x``:
    twice in eval mode, then once in training mode (None if that fails, as BatchNorm1d does
    on one example). ``ran`` names the torch.nn layers whose forward ran in eval mode: a
    layer the model holds but never uses does not count."""
    torch = _torch()
    torch.manual_seed(seed)
    model = factory()
    if not isinstance(model, torch.nn.Module):
        return {"module": False, "type": f"{type(model).__module__}.{type(model).__qualname__}"}
    ran = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: ran.append(type(m).__name__))
        for m in model.modules()
        if type(m).__module__.startswith("torch.nn.modules")
    ]
    inputs = torch.from_numpy(x).to(next(iter(model.parameters()), torch.zeros(0)).device)
    with torch.no_grad(), _functional_calls(FUNCTIONAL_LAYERS, ran):
        model.eval()
        first = model(inputs)
        for hook in hooks:
            hook.remove()
        again = model(inputs)
        model.train()
        torch.manual_seed(seed)
        try:
            trained = model(inputs)
        except Exception:
            trained = None
    return {
        "module": True,
        "eval": first,
        "eval_again": again,
        "train": trained,
        "params": _params(model),
        "ran": sorted(set(ran)),
    }


def train_epoch_run(train_epoch, x, labels, batch_size, lr, seed, dropout=0.5):
    """train_epoch once over (x, labels) on tiny_mlp, handed over in eval mode: (its loss, the parameters after)."""
    torch = _torch()
    model = tiny_mlp(seed, dropout)
    model.eval()  # train_epoch must switch dropout on itself
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    torch.manual_seed(seed + 1)
    loss = train_epoch(model, _loader(x, labels, batch_size), optimizer, "cpu")
    return loss, _params(model)


def evaluate_run(evaluate, x, labels, batch_size, seed, dropout=0.5):
    """evaluate over (x, labels) on tiny_mlp, handed over in training mode: (its accuracy, the parameters after)."""
    torch = _torch()
    model = tiny_mlp(seed, dropout)
    model.train()  # evaluate must switch dropout off itself
    torch.manual_seed(seed + 1)
    accuracy = evaluate(model, _loader(x, labels, batch_size), "cpu")
    return accuracy, _params(model)


def device_choice(get_device, cuda, mps):
    """get_device() while torch reports these accelerators: the type of device it picks."""
    torch = _torch()
    saved = torch.cuda.is_available, torch.backends.mps.is_available
    torch.cuda.is_available, torch.backends.mps.is_available = (lambda: cuda), (lambda: mps)
    try:
        device = get_device()
    finally:
        torch.cuda.is_available, torch.backends.mps.is_available = saved
    if isinstance(device, torch.device):
        return device.type
    if isinstance(device, str):  # the rest of a lesson uses device.type: a name is not a device
        return f"the string {device[:40]!r}, not a torch.device"
    return device


def on_tensors(fn, *arrays):
    """``fn`` called on tensors that share memory with the arrays (so in-place edits show)."""
    torch = _torch()
    return fn(*[torch.from_numpy(a) for a in arrays])


# Lesson 08's harnesses run the student's function on a network of the backbone's architecture with seeded
# random weights and running statistics unlike a fresh network's, handed over in training mode: so that
# freezing, a new head, eval() and the optimizer's parameters all show in what comes back.
def backbone_like(seed, num_classes=6):
    """A network of the course's backbone architecture, seeded, in training mode."""
    torch = _torch()
    from autograder import backbone

    torch.manual_seed(seed)
    model = backbone.network(num_classes)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model.train()


def _frozen_features(model):
    model.features.requires_grad_(False)
    return model


def _trainable(model) -> str:
    """The names of the parameters that still train, as a reader checks them."""
    return ", ".join(name for name, p in model.named_parameters() if p.requires_grad) or N_("none")


def _returned(value, model) -> str:
    if value is model:
        return N_("the model it was given")
    return f"{type(value).__module__}.{type(value).__qualname__}" if value is not None else "None"


def _state(model) -> list:
    return [t.detach().clone() for t in (*model.parameters(), *model.buffers())]


def _unchanged(before, model) -> str:
    torch = _torch()
    after = _state(model)
    if len(after) == len(before) and all(torch.equal(a, b) for a, b in zip(before, after)):
        return N_("unchanged")
    return N_("changed")


def freeze_run(freeze_backbone, seed):
    """freeze_backbone(model): (what it returned, the parameters that still train)."""
    model = backbone_like(seed)
    returned = freeze_backbone(model)
    return _returned(returned, model), _trainable(model)


def replace_head_run(replace_head, num_classes, seed, x):
    """replace_head on a network whose features are frozen: (what it returned, its head, its features'
    weights afterwards, the parameters that train, the shape of its output for ``x`` in eval mode)."""
    torch = _torch()
    model = _frozen_features(backbone_like(seed))
    features = model.features
    before = _state(features)
    returned = replace_head(model, num_classes)
    built = returned if isinstance(returned, torch.nn.Module) else model
    head = getattr(built, "head", None)
    described = (
        f"Linear({head.in_features}, {head.out_features})"
        if isinstance(head, torch.nn.Linear)
        else f"{type(head).__qualname__}"
    )
    kept = _unchanged(before, features) if getattr(built, "features", None) is features else N_("replaced by new ones")
    built.eval()
    with torch.no_grad():
        shape = str(tuple(built(torch.from_numpy(x)).shape))
    return _returned(returned, model), described, kept, _trainable(built), shape


def count_run(count_trainable, seed, frozen):
    """count_trainable on a network with nothing, its features or everything frozen."""
    model = backbone_like(seed)
    if frozen in ("features", "all"):
        _frozen_features(model)
    if frozen == "all":
        model.head.requires_grad_(False)
    return count_trainable(model)


def optimizer_run(make_optimizer, seed, num_classes, lr):
    """make_optimizer on a network with frozen features and a new head: (its type, the parameters it
    updates, its learning rate)."""
    torch = _torch()
    model = _frozen_features(backbone_like(seed))
    model.head = torch.nn.Linear(model.head.in_features, num_classes)
    optimizer = make_optimizer(model, lr)
    if not isinstance(optimizer, torch.optim.Optimizer):
        return _returned(optimizer, model), N_("none"), float("nan")
    names = {id(p): name for name, p in model.named_parameters()}
    listed = [
        names.get(id(p), N_("a tensor of another model")) for group in optimizer.param_groups for p in group["params"]
    ]
    return type(optimizer).__qualname__, ", ".join(listed) or N_("none"), float(optimizer.param_groups[0]["lr"])


def features_run(extract_features, images, seed, batch_size):
    """extract_features(model, images, batch_size) on a network handed over in training mode: (what it
    returned, its values as float32 numpy, the network's weights and running statistics afterwards)."""
    torch = _torch()
    model = backbone_like(seed)
    before = _state(model)
    features = extract_features(model, torch.from_numpy(images), batch_size=batch_size)
    if isinstance(features, torch.Tensor):
        kind = f"a {features.dtype} tensor" + (" that still records gradients" if features.requires_grad else "")
        values = features.detach().cpu().numpy()
    else:
        kind, values = _returned(features, model), features
    return kind, values, _unchanged(before, model)


# ------------------------------------------------------------------ the grader's training calls
# The grader trains: it calls the student's training function itself, in a call's process of the caller's
# sandbox, on the lesson's training data (the plan's uint8 images and labels, prepared here as the notebook
# prepares them) with the lesson's arguments, under the training budget. Only weights come back: a numpy
# network's (W, b) pairs as they are, a PyTorch model's state_dict as numpy arrays. The judge loads them into
# the lesson's own architecture and scores them (autograder/kernel/training.py); no student code predicts.
MAX_WEIGHTS = 256  # tensors of a trained model's state_dict that come back
MAX_WEIGHT_BYTES = 64 << 20  # all of them together


def model_weights(model) -> dict:
    """A trained PyTorch model as data: {"model": True, "weights": {name: array}} (its state_dict, floating
    tensors as float32), or {"model": False, "type": ...} for anything that is not an nn.Module."""
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        return {"model": False, "type": f"{type(model).__module__}.{type(model).__qualname__}"}
    state = model.state_dict()
    if len(state) > MAX_WEIGHTS:
        return {"model": True, "too_large": f"{len(state)} tensors"}
    weights, total = {}, 0
    for name, tensor in state.items():
        tensor = tensor.detach().cpu()
        array = (tensor.float() if tensor.is_floating_point() else tensor).numpy()
        total += array.nbytes
        if total > MAX_WEIGHT_BYTES:
            return {"model": True, "too_large": f"over {MAX_WEIGHT_BYTES >> 20} MB"}
        weights[str(name)] = array
    return {"model": True, "weights": weights}


def train_mlp_run(train_mlp, images, labels, **kwargs):
    """05: train_mlp(X, y, history={}, ...) on the lesson's training examples, as the notebook calls it (each
    harness below passes a history too, as the notebook's training cell does); what it returns
    (the (W, b) pairs) comes back as it is, for the judge to read as a numpy network."""
    from autograder import data

    return train_mlp(data.prepared(images, flatten=True), labels, history={}, **kwargs)


def train_model_run(train_model, images, labels, val_images, val_labels, **kwargs):
    """06: train_model(train_loader, val_loader, ...) with the loaders the notebook's data cell makes."""
    from autograder import data

    train_loader = _loader(data.prepared(images, flatten=False), labels, 64, shuffle_seed=0)
    val_loader = _loader(data.prepared(val_images, flatten=False), val_labels, 1000)
    # With history, as the notebook calls it: its evaluations draw from torch's generator (each DataLoader
    # pass does), so without them the same seed would train another network.
    return model_weights(train_model(train_loader, val_loader, history={}, **kwargs))


def train_cnn_run(train_cnn, images, labels, **kwargs):
    """07: train_cnn(images, labels, ...) on uint8 images (N, 1, 28, 28), as the notebook's data cell gives them."""
    torch = _torch()
    images, labels = torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)
    return model_weights(train_cnn(images, labels, history={}, **kwargs))


def fine_tune_run(fine_tune, images, labels, **kwargs):
    """08: fine_tune(backbone, images, labels, num_classes, ...) on the few labelled images it is handed, with
    the course's pretrained backbone: nothing else of the data set is in the sandbox."""
    from autograder import backbone

    torch = _torch()
    images, labels = torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)
    model = fine_tune(backbone.load_backbone(), images, labels, len(backbone.TARGET_CLASSES), history={}, **kwargs)
    return model_weights(model)


HARNESSES = {
    "train_mlp_run": train_mlp_run,
    "train_model_run": train_model_run,
    "train_cnn_run": train_cnn_run,
    "fine_tune_run": fine_tune_run,
    "module_outputs": module_outputs,
    "train_epoch_run": train_epoch_run,
    "evaluate_run": evaluate_run,
    "device_choice": device_choice,
    "on_tensors": on_tensors,
    "freeze_run": freeze_run,
    "replace_head_run": replace_head_run,
    "count_run": count_run,
    "optimizer_run": optimizer_run,
    "features_run": features_run,
}


def harnessed(fn, harness):
    """``fn`` as the probe calls it: through the named harness, if any."""
    if not harness:
        return fn
    procedure = HARNESSES[harness]
    return lambda *args, **kwargs: procedure(fn, *args, **kwargs)


def model_predictions(model, images, normalize=None, batch_size=1000):
    """Class indices that a trained model gives uint8 images (N, 28, 28), in eval mode.

    ``normalize`` is the notebook's own preprocessing (uint8 tensor in, float
    tensor out); without it, the course's [0, 255] -> [-1, 1].
    """
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(_("it is a {type}, not a torch.nn.Module").format(type=type(model).__name__))
    device = next(iter(model.parameters()), torch.zeros(0)).device
    model.eval()
    predicted = []
    with torch.no_grad():
        for first in range(0, len(images), batch_size):  # not `start`: the kit holds no line of a solution
            batch = torch.from_numpy(np.ascontiguousarray(images[first : first + batch_size][:, None]))
            batch = normalize(batch) if normalize is not None else (batch.float() / 255 - 0.5) / 0.5
            predicted.append(model(batch.to(device)).argmax(dim=1).cpu())
    return torch.cat(predicted).numpy().astype(np.int64)


def parameter_count(model) -> int:
    """The number of numbers in a model's parameters (trainable or not), as ``model.parameters()`` lists them."""
    return int(sum(int(p.numel()) for p in model.parameters()))


# ---------------------------------------------------------------- encoding
def encode(value, arrays, prefix):
    """A JSON tree for ``value``; numeric arrays go into ``arrays`` by key."""
    if value is None:
        return {"t": "none"}
    if isinstance(value, FunctionRef):
        return {"t": "fn", "name": value.name}
    if isinstance(value, bool):
        return {"t": "py", "type": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "py", "type": "int", "v": value}
    if isinstance(value, float):
        return {"t": "py", "type": "float", "v": value}
    if isinstance(value, str):
        return {"t": "py", "type": "str", "v": value[:1000]}
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.hasobject or array.dtype.kind not in "biufc":
            return {"t": "other", "type": f"ndarray[{array.dtype}]", "repr": repr(value)[:200]}
        key = f"{prefix}#{len(arrays)}"
        arrays[key] = array
        return {"t": "ndarray" if isinstance(value, np.ndarray) else "npscalar", "k": key}
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        key = f"{prefix}#{len(arrays)}"
        arrays[key] = value.detach().cpu().numpy()
        return {"t": "tensor", "k": key, "dtype": str(value.dtype), "device": str(value.device)}
    if isinstance(value, (tuple, list)):
        return {
            "t": type(value).__name__ if type(value) in (tuple, list) else "list",
            "items": [encode(item, arrays, f"{prefix}.{i}") for i, item in enumerate(value)],
        }
    if isinstance(value, dict):
        return {"t": "dict", "items": {str(k): encode(v, arrays, f"{prefix}.{k}") for k, v in value.items()}}
    return {"t": "other", "type": f"{type(value).__module__}.{type(value).__qualname__}", "repr": repr(value)[:200]}


def decode(tree, arrays):
    """Inverse of ``encode``; tensors and other objects come back as records."""
    kind = tree["t"]
    if kind == "none":
        return None
    if kind == "fn":
        return FunctionRef(tree["name"])
    if kind == "py":
        return tree["v"]
    if kind == "ndarray":
        return np.asarray(arrays[tree["k"]])
    if kind == "npscalar":
        return np.asarray(arrays[tree["k"]])[()]
    if kind in ("tuple", "list"):
        items = [decode(item, arrays) for item in tree["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(v, arrays) for k, v in tree["items"].items()}
    if kind == "tensor":
        return Tensor(array=np.asarray(arrays[tree["k"]]), dtype=tree["dtype"], device=tree["device"])
    return Other(type=tree["type"], repr=tree["repr"])


class Tensor(dict):
    """A decoded torch tensor: ``array`` (its values, as numpy), ``dtype`` and ``device``, as torch names them."""


class Other(dict):
    """A decoded object of any other type: ``type`` (its module and name) and a bounded ``repr``."""


def type_name(value) -> str:
    """What a decoded value is, in a word or two, for messages (an Other's type name is the student's own)."""
    if isinstance(value, Tensor):
        return "a torch tensor"
    if isinstance(value, Other):
        return str(value["type"])
    return type(value).__name__


def same_value(a, b):
    """Exact equality for the argument trees this probe passes (mutation check)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and (a == b or (a != a and b != b))


# ----------------------------------------------------------------- calling
def _on_alarm(signum, frame):
    raise ProbeTimeout()


def complement(value):
    """A spy's stand-in answer: 1 - what it really returned (the gates answer 0.0 or 1.0)."""
    return 1.0 - np.asarray(value, dtype=np.float64)


def _spied(namespace, spies, counts, standin):
    """Wrap each spy in ``namespace`` to count its calls and, with ``standin``, to answer its complement.

    Returns the originals, to put back."""
    originals = {}
    for name in spies:
        if callable(namespace.get(name)):
            originals[name] = namespace[name]
            counts[name] = 0

            def wrapper(*a, __name=name, **k):
                counts[__name] += 1
                result = originals[__name](*a, **k)
                return complement(result) if standin else result

            namespace[name] = wrapper
    return originals


def _timed(fn, call_args, call_kwargs, timeout):
    """fn(*call_args, **call_kwargs) under the timer: (outcome without mutation, spies or seconds)."""
    outcome = {"status": "ok", "warnings": []}
    old_handler = None
    if timeout:
        old_handler = signal.signal(signal.SIGALRM, _on_alarm)
        # Re-fires every 0.5 s, so a bare `except:` in a loop cannot swallow it for good.
        signal.setitimer(signal.ITIMER_REAL, timeout, 0.5)

    def disarm():
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)

    try:
        with (
            warnings.catch_warnings(record=True) as caught,
            np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"),
        ):
            warnings.simplefilter("always")
            outcome["value"] = fn(*call_args, **call_kwargs)
        disarm()
        outcome["warnings"] = [
            f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, RuntimeWarning)
        ][:5]
    except ProbeTimeout:
        disarm()
        outcome = {
            **outcome,
            "status": "timeout",
            "error": _("did not return within {seconds:g} s").format(seconds=timeout),
        }
    except KeyboardInterrupt:
        # In a notebook, the cell's timeout interrupts the kernel: stop, do not move on to the next case.
        disarm()
        raise
    except BaseException as error:  # SystemExit is the student's fault too
        disarm()
        frames = traceback.format_exception(type(error), error, error.__traceback__)
        outcome = {
            **outcome,
            "status": "error",
            "error": f"{type(error).__name__}: {error}"[:500],
            "error_type": type(error).__name__,
            "traceback": "".join(frames[-3:])[-1500:],
        }
    finally:
        disarm()
    return outcome


def call(fn, args, kwargs, namespace=None, spies=(), timeout=None):
    """Call ``fn`` on deep copies and report value, error, mutation and spies.

    ``spies`` names the functions that ``fn`` is meant to be built on, found
    in ``namespace`` (``fn``'s globals by default). Each is wrapped to count
    its calls. Then ``fn`` is called once more with every spy answering the
    complement of its real answer (``standin``): a function that really
    builds its result from the spies gives another result, while one that
    calls a spy only to throw the answer away gives the same.
    """
    pristine = (copy.deepcopy(list(args)), copy.deepcopy(dict(kwargs)))
    call_args, call_kwargs = copy.deepcopy(pristine)
    namespace = namespace if namespace is not None else getattr(fn, "__globals__", {})
    counts = {}
    originals = _spied(namespace, spies, counts, standin=False)
    started = time.perf_counter()
    try:
        outcome = _timed(fn, call_args, call_kwargs, timeout)
    finally:
        namespace.update(originals)
    outcome["seconds"] = time.perf_counter() - started
    outcome["calls"] = {name: counts.get(name) for name in spies}
    positions = [str(i) for i in range(len(args))] + list(kwargs)
    before = pristine[0] + [pristine[1][k] for k in kwargs]
    after = call_args + [call_kwargs.get(k) for k in kwargs]
    outcome["mutated"] = [p for p, a, b in zip(positions, before, after) if not same_value(a, b)]
    if spies and outcome["status"] == "ok" and len(originals) == len(spies):
        again_args, again_kwargs = copy.deepcopy(pristine)
        originals = _spied(namespace, spies, {}, standin=True)
        try:
            second = _timed(fn, again_args, again_kwargs, timeout)
        finally:
            namespace.update(originals)
        outcome["standin"] = {k: v for k, v in second.items() if k in ("status", "value", "error")}
    return outcome


def call_case(fn, args, kwargs_list, namespace=None, spies=(), timeout=None):
    """One case: usually one call; several calls (same args, each kwargs in turn)
    when the case compares results, as "the same seed gives the same parameters".

    The outcome of several calls holds the list of their values; the first
    call that fails decides the outcome.
    """
    if len(kwargs_list) == 1:
        return call(fn, args, kwargs_list[0], namespace, spies, timeout)
    values, combined = [], {"status": "ok", "mutated": [], "warnings": [], "calls": {}, "seconds": 0.0}
    for kwargs in kwargs_list:
        outcome = call(fn, args, kwargs, namespace, spies, timeout)
        if outcome["status"] != "ok":
            return outcome
        values.append(outcome.pop("value"))
        combined["mutated"] += [m for m in outcome["mutated"] if m not in combined["mutated"]]
        combined["warnings"] += outcome["warnings"]
        combined["seconds"] += outcome["seconds"]
        for name, count in outcome["calls"].items():
            before = combined["calls"].get(name, 0)
            combined["calls"][name] = None if count is None or before is None else before + count
    combined["value"] = values
    return combined


def roundtrip(outcome):
    """Encode then decode, so in-notebook checks see exactly what the judge sees."""
    arrays = {}
    record = encode_outcome(outcome, arrays, "v")
    return decode_outcome(json.loads(json.dumps(record)), arrays)


def encode_outcome(outcome, arrays, prefix):
    """The outcome with its value (and its stand-in call's value) encoded; arrays go into ``arrays``."""
    record = dict(outcome)
    if "value" in record:
        record["value"] = encode(record["value"], arrays, prefix)
    if isinstance(record.get("standin"), dict) and "value" in record["standin"]:
        record["standin"] = {**record["standin"], "value": encode(record["standin"]["value"], arrays, prefix + "~")}
    return record


def decode_outcome(record, arrays):
    """Inverse of ``encode_outcome``."""
    if "value" in record:
        record["value"] = decode(record["value"], arrays)
    if isinstance(record.get("standin"), dict) and "value" in record["standin"]:
        record["standin"]["value"] = decode(record["standin"]["value"], arrays)
    return record
