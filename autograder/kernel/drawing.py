"""Try your own drawing: an ipycanvas pad whose drawing a trained network classifies (lesson 07, ungraded).

The student draws with the mouse; on release, the drawing becomes a 28x28
image prepared as Fashion-MNIST's were (the object cropped, scaled so that
its longer side fills the frame, centred, white on black), and the cell
shows that image and the network's three most probable classes.

Where there is no front end (the grader's sandbox, nbclient), the pad is
built and shown as a widget nobody draws on: nothing happens and nothing
fails. Without ipycanvas installed, it says so and returns.
"""

from __future__ import annotations

import numpy as np

from autograder.i18n import _

PAD = 280  # pixels of the pad's side: 10 screen pixels per image pixel
BRUSH = 22  # the brush's width on the pad: a bold stroke, as Fashion-MNIST's objects are filled shapes


def to_image(rgba: np.ndarray, side: int = 28) -> np.ndarray:
    """A drawing (H, W, 4) uint8 RGBA, ink where alpha > 0, as a (side, side) uint8 image like Fashion-MNIST's:
    the ink's bounding box scaled so that its longer side fills the frame, centred, ink bright on black.
    All zeros when nothing is drawn."""
    from PIL import Image

    ink = np.asarray(rgba)[..., 3]
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return np.zeros((side, side), dtype=np.uint8)
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = box.shape
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    scaled = np.asarray(Image.fromarray(box).resize(size, Image.BOX))
    image = np.zeros((side, side), dtype=np.uint8)
    top, left = (side - scaled.shape[0]) // 2, (side - scaled.shape[1]) // 2
    image[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    return image


def top_classes(model, normalize, image: np.ndarray, names, k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` most probable classes of a (28, 28) uint8 image, by the model in eval mode."""
    import torch

    device = next(iter(model.parameters()), torch.zeros(0)).device
    model.eval()
    with torch.no_grad():
        batch = normalize(torch.from_numpy(np.ascontiguousarray(image))[None, None].to(device))
        probabilities = torch.softmax(model(batch).float(), dim=1)[0].cpu()
    best = torch.argsort(probabilities, descending=True)[:k]
    return [(names[int(i)], float(probabilities[i])) for i in best]


def drawing_pad(model, normalize, names):
    """Show a pad to draw on; on every release of the mouse, the 28x28 image and the top 3 classes."""
    try:
        import ipywidgets as widgets
        from ipycanvas import Canvas
    except ImportError:
        print(_("The drawing pad needs ipycanvas: pip install ipycanvas (the student kit installs it)."))
        return None
    import matplotlib.pyplot as plt
    from IPython.display import display

    canvas = Canvas(width=PAD, height=PAD, sync_image_data=True, layout=widgets.Layout(border="1px solid #888"))
    canvas.line_width, canvas.line_cap, canvas.line_join = BRUSH, "round", "round"
    canvas.stroke_style = "black"
    shown = widgets.Output()
    clear = widgets.Button(description=_("Clear"), icon="eraser")
    state = {"drawing": False, "last": None}

    def down(x, y):
        state.update(drawing=True, last=(x, y))
        canvas.fill_style = "black"
        canvas.fill_circle(x, y, BRUSH / 2)

    def move(x, y):
        if state["drawing"]:
            canvas.stroke_line(*state["last"], x, y)
            state["last"] = (x, y)

    def up(x, y):
        state["drawing"] = False
        show()

    def show(*_change):
        # The drawing syncs stroke by stroke: classify it once the button is released, and once it has synced.
        if state["drawing"] or canvas.image_data is None:
            return
        image = to_image(canvas.get_image_data())
        with shown:
            shown.clear_output(wait=True)
            if not image.any():
                print(_("Draw a piece of clothing (fill it in), then release the mouse button."))
                return
            ranked = top_classes(model, normalize, image, names)
            fig, (left, right) = plt.subplots(1, 2, figsize=(6.4, 2.6), gridspec_kw={"width_ratios": [1, 1.6]})
            left.imshow(image, cmap="gray_r")
            left.set_title(_("what the network sees (28x28)"), fontsize=8)
            left.axis("off")
            right.barh([name for name, _p in ranked][::-1], [p for _name, p in ranked][::-1], color="tab:blue")
            right.set_xlim(0, 1)
            right.set_title(_("top 3 classes"), fontsize=8)
            plt.tight_layout()
            plt.show()

    canvas.on_mouse_down(down)
    canvas.on_mouse_move(move)
    canvas.on_mouse_up(up)
    canvas.on_mouse_out(up)  # released outside the pad: the stroke ends there
    canvas.on_touch_start(lambda touches: touches and down(*touches[0]))
    canvas.on_touch_move(lambda touches: touches and move(*touches[0]))
    canvas.on_touch_end(lambda touches: up(0, 0))
    canvas.observe(show, "image_data")  # the drawing reaches the kernel after each stroke
    clear.on_click(lambda _button: (canvas.clear(), shown.clear_output()))
    display(widgets.HBox([widgets.VBox([canvas, clear]), shown]))
    return canvas
