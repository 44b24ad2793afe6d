"""Realistic wrong answers for 08_transfer_learning, one solution cell each.

The reference fine_tune freezes a copy of the backbone with the student's
freeze_backbone, gives it the student's replace_head, extracts features with
the student's extract_features (through the student's preprocess) and
trains the head with the student's make_optimizer. The grader calls
fine_tune itself and scores the trained head on the course's backbone,
through the lesson's own preprocess (issue 32). So:

- a wrong preprocess trains the head on features that the lesson's
  preprocess does not give: scored through it, the head reaches less;
- a head of another shape (sized for the old classes, or the old one with
  its out_features attribute changed) does not fit the new task's head;
- a backbone left trainable changes nothing in fine_tune (its features are
  computed under no_grad, so no gradient reaches it), and the check of
  freeze_backbone is what catches it;
- the backbone reaches fine_tune in eval mode (load_backbone's), so a
  forgotten eval() in extract_features shows only in its check, where the
  network comes in training mode and its running statistics get overwritten.

Accuracies are held-out test accuracies on the new classes, measured with
the grader in quick mode (which trains as full mode does here; the
reference reaches 0.9025): each is at least 0.0088 (35 of the 4,000 test
images) from a tier edge. With the grader training (issue 32) the reference
reaches 0.9030, and [0, 1] in preprocess 0.6835. (Earlier, when the
student's code predicted: lesson 07's [-1, 1] in preprocess reached
0.8860, too close to an edge for the catalogue; Adam's default learning
rate 0.9020.)
"""

from tests.mistakes import Mistake

_PREPROCESS = "def preprocess(images):\n    return {expression}\n"
_FREEZE = "def freeze_backbone(model):\n{body}"
_HEAD = "def replace_head(model, num_classes):\n    model.head = {head}\n    return model\n"
_COUNT = "def count_trainable(model):\n    return {expression}\n"
_OPTIMIZER = "def make_optimizer(model, lr):\n    return {expression}\n"
_FEATURES = (
    "def extract_features(model, images, batch_size=500):\n"
    "{eval}"
    "    with {context}:\n"
    "        parts = [{forward} for i in range(0, len(images), batch_size)]\n"
    "    return torch.cat(parts)\n"
)
_EVAL = "    model.eval()\n"
_FINE_TUNE = (
    "def fine_tune(backbone, images, labels, num_classes, epochs={epochs}, lr=0.01, seed=0, history=None):\n"
    "    torch.manual_seed(seed)\n"
    "    model = replace_head(freeze_backbone(copy.deepcopy(backbone)), num_classes)\n"
    "    features = extract_features(model, images)\n"
    "    optimizer = make_optimizer(model, lr)\n"
    "    for epoch in tqdm(range(epochs), desc='fine_tune'):\n"
    "        loss = F.cross_entropy({logits}, labels)\n"
    "        optimizer.zero_grad()\n"
    "        loss.backward()\n"
    "        optimizer.step()\n"
    "        if history is not None:\n"
    "            history.setdefault('loss', []).append(loss.item())\n"
    "    return {returned}\n"
)

MISTAKES = {
    # preprocess
    "preprocess_zero_to_one": Mistake(
        "preprocess",
        _PREPROCESS.format(expression="images.float() / 255"),
        "stops at [0, 1] (ToTensor), without the backbone's standardisation: the head learns from features the "
        "lesson's own preprocess, which the grader scores it through, does not give (0.6835)",
        loses=("preprocess", "extract_features", "fine_tune"),
        says={"preprocess": ("MEAN", "STD"), "extract_features": ("fails its own check",)},
    ),
    "preprocess_float64": Mistake(
        "preprocess",
        _PREPROCESS.format(expression="(images.double() / 255 - MEAN) / STD"),
        "the right values in float64: the float32 backbone refuses them, so nothing after it runs",
        loses=("preprocess", "extract_features", "fine_tune"),
        says={"preprocess": ("images.float()",)},
    ),
    # freeze_backbone
    "freeze_attribute": Mistake(
        "freeze_backbone",
        _FREEZE.format(body="    model.requires_grad = False\n    return model\n"),
        "sets an attribute named requires_grad on the module: nothing is frozen",
        says={"freeze_backbone": ("only adds an attribute",)},
    ),
    "freeze_everything": Mistake(
        "freeze_backbone",
        _FREEZE.format(body="    for p in model.parameters():\n        p.requires_grad = False\n    return model\n"),
        "freezes the head too (fine_tune's new head is made after it, so training still works)",
    ),
    # replace_head
    "head_for_old_classes": Mistake(
        "replace_head",
        _HEAD.format(head="nn.Linear(model.head.in_features, model.head.out_features)"),
        "a new head sized for the old classes: its weights do not fit the new task's head",
        loses=("replace_head", "fine_tune"),
        says={"replace_head": ("num_classes",)},
    ),
    "head_out_features_attribute": Mistake(
        "replace_head",
        "def replace_head(model, num_classes):\n    model.head.out_features = num_classes\n    return model\n",
        "changes the old head's out_features attribute, which resizes nothing: the model still gives the old "
        "classes' logits, and its weights do not fit the new task's head",
        loses=("replace_head", "fine_tune"),
        says={"replace_head": ("resizes nothing",)},
    ),
    # count_trainable
    "count_all": Mistake(
        "count_trainable",
        _COUNT.format(expression="sum(p.numel() for p in model.parameters())"),
        "counts the frozen parameters too",
    ),
    "count_tensors": Mistake(
        "count_trainable",
        _COUNT.format(expression="len([p for p in model.parameters() if p.requires_grad])"),
        "counts tensors, not numbers",
        says={"count_trainable": ("numel",)},
    ),
    # make_optimizer
    "optimizer_all_parameters": Mistake(
        "make_optimizer",
        _OPTIMIZER.format(expression="torch.optim.Adam(model.parameters(), lr=lr)"),
        "gives the optimizer the frozen parameters too (harmless in this loop, and the check says why it matters)",
        says={"make_optimizer": ("requires_grad",)},
    ),
    "optimizer_default_lr": Mistake(
        "make_optimizer",
        _OPTIMIZER.format(expression="torch.optim.Adam([p for p in model.parameters() if p.requires_grad])"),
        "forgets to pass lr: Adam's default 0.001",
    ),
    # extract_features
    "features_no_eval": Mistake(
        "extract_features",
        _FEATURES.format(
            eval="", context="torch.no_grad()", forward="model.features(preprocess(images[i:i + batch_size]))"
        ),
        "forgets model.eval(): batch normalisation uses each batch's statistics and overwrites the learned ones",
        says={"extract_features": ("model.eval()",)},
    ),
    "features_with_grad": Mistake(
        "extract_features",
        _FEATURES.format(
            eval=_EVAL,
            context="torch.enable_grad()",
            forward="model.features(preprocess(images[i:i + batch_size]))",
        ),
        "records gradients through the backbone: the features hold its whole graph",
        says={"extract_features": ("no_grad",)},
    ),
    # fine_tune
    "fine_tune_returns_head": Mistake(
        "fine_tune",
        _FINE_TUNE.format(epochs=200, logits="model.head(features)", returned="model.head"),
        "returns the trained head alone: the grader cannot run it on images",
    ),
    "fine_tune_three_epochs": Mistake(
        "fine_tune",
        _FINE_TUNE.format(epochs=3, logits="model.head(features)", returned="model.eval()"),
        "three Adam steps: the new head has barely started (0.8173)",
        partial={"fine_tune": 0.25},
    ),
}
