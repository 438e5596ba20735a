"""The layer contract every model in dlteach follows.

``forward(x)`` computes the output and keeps what ``backward`` needs;
``backward(grad_out)`` returns the gradient with respect to the input and fills
``grads``. Parameters live in ``params`` (a dict of numpy arrays) and their
gradients in ``grads`` under the same keys. Names follow PyTorch, so a model's
``state_dict()`` loads into its PyTorch twin.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class Module:
    """Base class: parameters, gradients, children and train/eval mode."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def saved(self, *names):
        """What forward kept for backward (one value, or a tuple for several names); a
        RuntimeError saying to call forward first when it has not run."""
        try:
            values = tuple(self.__dict__[name] for name in names)
        except KeyError:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward: "
                               f"call forward first") from None
        return values[0] if len(names) == 1 else values

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- the tree of modules -------------------------------------------------
    def children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules, in the order they were assigned."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self.children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self) -> Iterator[tuple[str, Module, str]]:
        """``(full_name, owner, key)`` for every parameter, e.g. ``("0.weight", layer, "weight")``."""
        for prefix, module in self.named_modules():
            for key in module.params:
                yield (f"{prefix}.{key}" if prefix else key), module, key

    def state_dict(self) -> dict[str, np.ndarray]:
        return {name: owner.params[key].copy() for name, owner, key in self.named_parameters()}

    def load_state_dict(self, state) -> None:
        """Copy arrays (or tensors) in by name, all or nothing: names and shapes must match
        exactly and values must be finite real numbers, or no parameter changes."""
        if not hasattr(state, "keys"):
            raise TypeError(f"load_state_dict expected a dict of arrays, got {type(state).__name__}")
        own = {name: (owner, key) for name, owner, key in self.named_parameters()}
        if set(state) != set(own):
            raise KeyError(f"state_dict keys differ: missing {sorted(set(own) - set(state))}, "
                           f"unexpected {sorted(set(state) - set(own), key=str)}")
        checked = {}
        for name, (owner, key) in own.items():
            value = state[name]
            value = as_array(name, value.detach().cpu().numpy() if hasattr(value, "detach") else value)
            if value.shape != owner.params[key].shape:
                raise ValueError(f"{name}: expected shape {owner.params[key].shape}, got {value.shape}")
            if not np.isfinite(value).all():
                raise ValueError(f"{name}: holds NaN or infinite values")
            checked[name] = value
        for name, value in checked.items():
            owner, key = own[name]
            owner.params[key][...] = value

    def num_parameters(self) -> int:
        return sum(owner.params[key].size for _, owner, key in self.named_parameters())

    def zero_grad(self) -> None:
        for _, module in self.named_modules():
            module.grads = {k: np.zeros_like(v) for k, v in module.params.items()}

    def astype(self, dtype) -> Module:
        """Cast every parameter (e.g. to float32 for speed); returns self."""
        for _, module in self.named_modules():
            module.params = {k: v.astype(dtype) for k, v in module.params.items()}
            module.grads = {}
        return self

    def train(self, mode: bool = True) -> Module:
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return ""


def rng_from(seed) -> np.random.Generator:
    """A Generator from an int seed, an existing Generator, or None (fresh entropy)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def positive_int(name: str, value) -> int:
    """``value`` as an int, or a ValueError saying that ``name`` must be a positive integer."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def number_in(name: str, value, interval: str):
    """``value`` if it is a real number in ``interval``, written like "[0, 1)" or "(0, inf)": a TypeError
    naming ``name`` for anything but a number, a ValueError for a number outside (NaN included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    low, high = (float(end) for end in interval[1:-1].split(","))
    inside = (value > low if interval[0] == "(" else value >= low) and \
             (value < high if interval[-1] == ")" else value <= high)
    if not inside:
        raise ValueError(f"{name} must be a number in {interval}, got {value}")
    return value


def as_array(name: str, x) -> np.ndarray:
    """``x`` (an array or nested list) as a float array; a TypeError naming ``name`` otherwise."""
    if isinstance(x, (list, tuple)):
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):  # ragged, or holding something other than numbers
            raise TypeError(f"{name} expected a numeric numpy array, got a {type(x).__name__} that is not "
                            "a grid of numbers") from None
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "fiub":
        kind = f"array of dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{name} expected a numeric numpy array, got {kind}")
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def check_grad(name: str, grad, shape: tuple) -> np.ndarray:
    """A gradient as a float array of exactly ``shape`` (the output's), never silently broadcast."""
    grad = as_array(f"{name} backward", grad)
    if grad.shape != tuple(shape):
        raise ValueError(f"{name} backward expected a gradient of shape {tuple(shape)} "
                         f"(the shape of its output), got {grad.shape}")
    return grad


def shape_error(name: str, expected: str, x: np.ndarray) -> ValueError:
    """The one wording of a shape mismatch: what was expected, what came."""
    return ValueError(f"{name} expected input of shape {expected}, got {x.shape}")
