"""Realistic wrong answers for 06_pytorch_mlp, one solution cell each.

The reference train_model trains with the student's build_mlp and
train_epoch (and evaluates with their evaluate for the history only), so a
broken building block also costs the training points as far as it really
breaks training. Accuracies are held-out test accuracies in the test
suite's quick mode (10 000 training examples; the reference reaches
0.8493, full points from 0.815), measured with the grader; each is at
least 0.019 from a tier edge:

- the MLP's probabilities fed to cross-entropy still train, but worse
  (0.8351, still above the quick target);
- gradients that pile up without zero_grad make Adam's steps erratic
  (0.3625); lr=0.05 overshoots (0.7008, the 25% tier); one epoch reaches
  0.7844 (the 50% tier);
- no dropout (0.8502), a loss reported wrongly (0.8493) or training mode
  left off (0.8507) fail their own checks and still train;
- a narrower hidden layer trains weights that do not fit the lesson's
  network, which the grader scores them in.

(Until issue 34 quick mode trained on 20 000 examples: a training call of
7.4 s against 3.7 s; the reference reached 0.8655, against full points
from 0.83.)
"""

from tests.mistakes import Mistake

_SEQUENTIAL = "def build_mlp():\n    return nn.Sequential({layers})\n"
_EPOCH = (
    "def train_epoch(model, loader, optimizer, device):\n"
    "{train}"
    "    total, count = 0.0, 0\n"
    "    for x, y in loader:\n"
    "        x, y = x.to(device), y.to(device)\n"
    "{zero}"
    "        loss = F.cross_entropy(model(x), y)\n"
    "        loss.backward()\n"
    "        optimizer.step()\n"
    "{add}"
    "        count += len(y)\n"
    "    return {result}\n"
)
_EPOCH_RIGHT = dict(
    train="    model.train()\n",
    zero="        optimizer.zero_grad()\n",
    add="        total += loss.item() * len(y)\n",
    result="total / count",
)
_EVALUATE = (
    "def evaluate(model, loader, device):\n"
    "{eval}"
    "    correct, total = 0, 0\n"
    "    with torch.no_grad():\n"
    "        for x, y in loader:\n"
    "            x, y = x.to(device), y.to(device)\n"
    "            correct += (model(x).argmax(dim=1) == y).sum().item()\n"
    "            total += len(y)\n"
    "    return {result}\n"
)
_TRAIN_MODEL = (
    "def train_model(train_loader, val_loader, epochs={epochs}, lr={lr}, seed=0, device='cpu', history=None):\n"
    "    torch.manual_seed(seed)\n"
    "    model = build_mlp().to(device)\n"
    "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
    "    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)\n"
    "    for epoch in tqdm(range(epochs), desc='train_model'):\n"
    "        loss = train_epoch(model, train_loader, optimizer, device)\n"
    "        scheduler.step()\n"
    "        if history is not None:\n"
    "            history.setdefault('loss', []).append(loss)\n"
    "            history.setdefault('accuracy', []).append(evaluate(model, val_loader, device))\n"
    "    return {returned}\n"
)


def _epoch(**changes) -> str:
    return _EPOCH.format(**{**_EPOCH_RIGHT, **changes})


MISTAKES = {
    # build_mlp
    "softmax_output": Mistake(
        "build_mlp",
        _SEQUENTIAL.format(
            layers="nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), "
            "nn.Linear(128, 10), nn.Softmax(dim=1)"
        ),
        "returns softmax probabilities where logits are expected; cross-entropy on them trains worse "
        "(0.8351), yet above the quick target",
    ),
    "no_dropout": Mistake(
        "build_mlp",
        _SEQUENTIAL.format(layers="nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)"),
        "leaves out Dropout(0.2): the same output in training and eval mode",
    ),
    "hidden_64": Mistake(
        "build_mlp",
        _SEQUENTIAL.format(layers="nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10)"),
        "a hidden layer of 64 units where the tutorial has 128: the weights train_model trains do not fit the "
        "network build_mlp specifies, which the grader scores them in",
        loses=("build_mlp", "train_model"),
    ),
    # train_epoch
    "no_zero_grad": Mistake(
        "train_epoch",
        _epoch(zero=""),
        "never calls optimizer.zero_grad(): gradients pile up over the epoch",
        loses=("train_epoch", "train_model"),
        says={"train_epoch": ("Call optimizer.zero_grad() in every batch",)},
        never_says={"train_epoch": ("loss.item() * len(labels)", "model.train()")},
    ),
    "last_batch_loss": Mistake(
        "train_epoch",
        _epoch(add="        total = loss.item()\n", result="total"),
        "returns the last minibatch's loss, not the epoch's mean",
    ),
    "no_model_train": Mistake(
        "train_epoch",
        _epoch(train=""),
        "never calls model.train(): after the first evaluation dropout stays off",
        says={"train_epoch": ("Call model.train() first",)},
        never_says={"train_epoch": ("zero_grad", "loss.item() * len(labels)")},
    ),
    "mean_of_batch_means": Mistake(
        "train_epoch",
        _epoch(add="        total += loss.item()\n", result="total / len(loader)"),
        "averages the minibatch means, so a smaller last minibatch counts as much as a full one",
        says={"train_epoch": ("Weight each batch's mean loss by its size",)},
        never_says={"train_epoch": ("zero_grad", "model.train()")},
    ),
    "loss_tensor": Mistake(
        "train_epoch",
        _epoch(add="        total += loss * len(y)\n"),
        "adds up loss tensors instead of loss.item(): returns a tensor (and keeps every graph alive)",
    ),
    # evaluate
    "no_eval": Mistake(
        "evaluate",
        _EVALUATE.format(eval="", result="correct / total"),
        "never calls model.eval(): dropout thins the network while it is measured",
    ),
    "percentage": Mistake(
        "evaluate",
        _EVALUATE.format(eval="    model.eval()\n", result="100 * correct / total"),
        "returns a percentage where a fraction in [0, 1] is asked",
    ),
    "count": Mistake(
        "evaluate",
        _EVALUATE.format(eval="    model.eval()\n", result="correct"),
        "returns the number of correct predictions, not the fraction",
    ),
    # train_model
    "lr_too_high": Mistake(
        "train_model",
        _TRAIN_MODEL.format(epochs=10, lr=0.05, returned="model"),
        "Adam with lr=0.05, fifty times the default: the steps overshoot (0.7008)",
        partial={"train_model": 0.25},
    ),
    "one_epoch": Mistake(
        "train_model",
        _TRAIN_MODEL.format(epochs=1, lr=0.001, returned="model"),
        "trains for one epoch only (0.7844)",
        partial={"train_model": 0.5},
    ),
    "returns_model_and_history": Mistake(
        "train_model",
        _TRAIN_MODEL.format(epochs=10, lr=0.001, returned="model, history"),
        "returns the model and the history together, where the model alone is asked for",
    ),
    "returns_a_new_model": Mistake(
        "train_model",
        _TRAIN_MODEL.format(epochs=10, lr=0.001, returned="build_mlp()"),
        "trains a network, then returns a fresh, untrained one",
    ),
}
