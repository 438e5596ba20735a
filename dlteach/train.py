"""The mini-batch training loop: shuffle, split into batches, forward, backward, step.

One epoch visits every example once in ⌈N / B⌉ updates of batch size B; B = 1 is
stochastic gradient descent and B = N is batch gradient descent.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .i18n import _
from .nn.module import Module, positive_int


DIVERGENCE_FACTOR = 1e6  # a loss above this times max(1, the first loss) counts as diverged, though finite


class TrainingDiverged(FloatingPointError):
    """The loss became NaN, infinite, or a million times its start: the weights are blowing up."""


@dataclass
class History:
    """What ``fit`` recorded: per update, per epoch, and how it ended.

    Times are seconds since the start of ``fit``. ``epoch_loss`` is the mean training loss
    over the updates of each epoch; ``val_loss`` and ``val_accuracy`` are measured on the
    validation set after each epoch (empty without one). ``best_epoch`` indexes the
    per-epoch lists (the epoch of lowest validation loss, None without validation).
    """

    updates_per_epoch: int = 0
    update_loss: list[float] = field(default_factory=list)
    update_time: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None


def _check_data(X, y) -> None:
    if not isinstance(X, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(f"X and y must be numpy arrays, got {type(X).__name__} and {type(y).__name__}")
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must hold the same positive number of examples, got {len(X)} and {len(y)}")


def _check_finite(name: str, a: np.ndarray) -> None:
    """A ValueError naming ``a`` and its first row holding NaN or ±inf (an overflowing sum is checked row by row)."""
    with np.errstate(over="ignore"):
        total = a.sum() if a.dtype.kind == "f" else 0.0
    if not np.isfinite(total):
        bad = np.flatnonzero(~np.isfinite(a.reshape(len(a), -1)).all(axis=1))
        if bad.size:
            raise ValueError(f"the data {name} holds NaN or infinite values, first in row {bad[0]} of {len(a)}: "
                             "remove or replace them before training")


def _check_labels(out: np.ndarray, labels: dict[str, np.ndarray]) -> None:
    """Class labels (N,) must index the model's outputs (N, C): a ValueError naming the first that does not."""
    for name, y in labels.items():
        if out.ndim == 2 and y.ndim == 1 and y.dtype.kind in "iu":
            bad = np.flatnonzero((y < 0) | (y >= out.shape[1]))
            if bad.size:
                raise ValueError(f"class labels must lie in 0..{out.shape[1] - 1} (the model outputs {out.shape[1]} "
                                 f"classes), got {y[bad[0]]} in row {bad[0]} of {name}")


def fit(model: Module, loss_fn: Module, optimizer, X: np.ndarray, y: np.ndarray, epochs: int = 10,
        batch_size: int = 32, seed=0, validation=None, patience: int | None = None,
        progress: bool = True, callback=None, penalty=None) -> History:
    """Train ``model`` on (X, y) by mini-batch gradient descent and return its :class:`History`.

    Each epoch shuffles the examples with ``np.random.default_rng(seed)`` and cuts them into
    batches of ``batch_size`` (the last one may be smaller; a size above N means one batch).
    ``validation=(X_val, y_val)`` is evaluated after each epoch; with ``patience`` training stops
    once the validation loss has not improved for that many epochs, and the best weights are
    restored. ``callback(history)`` runs after each epoch and may return True to stop.
    ``penalty(model)`` (e.g. ``lambda m: l2_penalty(m, 1e-4)``) runs after each backward pass,
    adds its gradient and returns its value, which is added to the recorded loss.
    Data holding NaN or inf, and class labels the model has no output for, are refused before training.
    A loss that becomes NaN, infinite or more than ``DIVERGENCE_FACTOR`` times its start (at least 1) raises
    :class:`TrainingDiverged`.
    """
    _check_data(X, y)
    epochs, batch_size = positive_int("epochs", epochs), positive_int("batch_size", batch_size)
    if patience is not None and validation is None:
        raise ValueError("early stopping (patience) needs a validation set: pass validation=(X_val, y_val)")
    arrays = {"X": X, "y": y}
    if validation is not None:
        _check_data(*validation)
        arrays.update(X_val=validation[0], y_val=validation[1])
    for name, a in arrays.items():
        _check_finite(name, a)

    X, y = _as_model_dtype(model, X), _as_model_dtype(model, y)
    if validation is not None:
        validation = tuple(_as_model_dtype(model, a) for a in validation)
    n = len(X)
    batch_size = min(batch_size, n)
    rng = np.random.default_rng(seed)
    history = History(updates_per_epoch=math.ceil(n / batch_size))
    best_loss, best_state, since_best, loss0 = math.inf, None, 0, None
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=_("training"), unit="epoch", disable=not progress, leave=False)
    try:
        for epoch in bar:
            model.train()
            order = rng.permutation(n)
            total = 0.0
            for first in range(0, n, batch_size):
                batch = order[first:first + batch_size]
                with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is caught just below
                    out = model.forward(X[batch])
                    if loss0 is None:  # before the first update, once the number of outputs is known
                        _check_labels(out, {name: a for name, a in arrays.items() if name.startswith("y")})
                    loss = loss_fn.forward(out, y[batch])
                    model.backward(loss_fn.backward())
                    if penalty is not None:
                        loss += penalty(model)
                loss0 = loss if loss0 is None else loss0
                if not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(1.0, loss0):
                    update = len(history.update_loss) + 1
                    numbers = dict(loss=loss, update=update, epoch=epoch + 1, epochs=epochs, first=loss0,
                                   lr=getattr(optimizer, "lr", math.nan))
                    if update > 1:
                        said = _("training diverged: the loss became {loss:.3g} at update {update} (epoch {epoch} of "
                                 "{epochs}), up from {first:.3g} at update 1. The weights are blowing up; the learning "
                                 "rate {lr:g} is probably too large, try a smaller one.")
                    else:
                        said = _("training diverged: the loss became {loss:.3g} at update {update} (epoch {epoch} of "
                                 "{epochs}). The weights are blowing up; the learning rate {lr:g} is probably too "
                                 "large, try a smaller one.")
                    raise TrainingDiverged(said.format(**numbers))
                optimizer.step()
                total += loss * len(batch)
                history.update_loss.append(float(loss))
                history.update_time.append(time.perf_counter() - start)
            history.epoch_loss.append(total / n)

            if validation is not None:
                val_loss, val_acc = evaluate(model, loss_fn, *validation)
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_acc)
                if val_loss < best_loss:
                    best_loss, since_best, history.best_epoch = val_loss, 0, epoch
                    if patience is not None:
                        best_state = model.state_dict()
                else:
                    since_best += 1
            history.epoch_time.append(time.perf_counter() - start)
            bar.set_postfix(loss=f"{history.epoch_loss[-1]:.4f}",
                            **({"val_loss": f"{history.val_loss[-1]:.4f}"} if validation is not None else {}))

            if patience is not None and since_best >= patience:
                history.stopped_early = True
                break
            if callback is not None and callback(history):
                history.stopped_early = epoch + 1 < epochs
                break
    finally:
        bar.close()
        model.train()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _as_model_dtype(model: Module, a: np.ndarray) -> np.ndarray:
    """Float data in the parameters' dtype, so a float32 model also computes in float32."""
    dtype = next((owner.params[key].dtype for _, owner, key in model.named_parameters()), None)
    return a.astype(dtype, copy=False) if dtype is not None and a.dtype.kind == "f" else a


def _class_targets(y: np.ndarray) -> np.ndarray:
    """Class indices from labels (N,) or from one-hot / probability targets (N, C)."""
    if y.ndim == 1 and y.dtype.kind in "iu":
        return y
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    raise ValueError(f"accuracy needs class labels (N,) of integers or targets (N, C), got {y.shape} {y.dtype}")


def _forward_eval(model: Module, X: np.ndarray) -> np.ndarray:
    was_training = model.training
    model.eval()
    try:
        return model.forward(X)
    finally:
        model.train(was_training)


def predict(model: Module, X: np.ndarray) -> np.ndarray:
    """The class with the largest output for every example, in eval mode."""
    out = _forward_eval(model, X)
    if out.ndim != 2:
        raise ValueError(f"predict expected the model to output (N, C), got {out.shape}")
    return out.argmax(axis=1)


def accuracy(model: Module, X: np.ndarray, y: np.ndarray) -> float:
    """The fraction of examples whose predicted class is the target class."""
    _check_data(X, y)
    return float(np.mean(predict(model, X) == _class_targets(y)))


def evaluate(model: Module, loss_fn: Module, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) on (X, y) in eval mode; accuracy is NaN for regression targets."""
    _check_data(X, y)
    out = _forward_eval(model, X)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = float(loss_fn.forward(out, y))
    try:
        acc = float(np.mean(out.argmax(axis=1) == _class_targets(y)))
    except ValueError:
        acc = math.nan
    return loss, acc


def layer_gradient_norms(model: Module, loss_fn: Module, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖∂L/∂W^l‖ for every weight matrix, input side first: one forward and backward pass on (X, y).

    Shows vanishing (or exploding) gradients: how much the error signal shrinks on its way down."""
    _check_data(X, y)
    with np.errstate(over="ignore", invalid="ignore"):
        loss_fn.forward(model.forward(X), y)
        model.backward(loss_fn.backward())
    return weight_gradient_norms(model)


def weight_gradient_norms(model: Module) -> np.ndarray:
    """‖∂L/∂W^l‖ for every weight matrix, input side first, from the gradients of the last backward pass."""
    return np.array([float(np.linalg.norm(owner.grads[key])) for _, owner, key in model.named_parameters()
                     if key == "weight"])
