"""The autoencoder: a network trained to give back its own input through a narrow code.

Encoder a = f(x Wᵀ + b), the code; decoder x̂ = g(a W'ᵀ + b'), the reconstruction. With tied
weights the decoder reuses the encoder's W (W' = Wᵀ). Training minimises the reconstruction
error (x̂ − x)², no labels needed; an optional sparsity penalty keeps most code units quiet.
"""

from __future__ import annotations

import numpy as np

from ..nn import Linear, MSELoss, Sequential, Sigmoid
from ..nn import functional as F
from ..nn.module import Module, as_array, check_grad, number_in, positive_int, rng_from, shape_error
from ..optim import SGD
from ..train import History, fit

ACTIVATIONS = ("sigmoid", "linear")


class Autoencoder(Module):
    """Dense autoencoder n_in → n_code → n_in with parameters named like two ``nn.Linear``:
    ``encoder.weight`` (n_code, n_in), ``encoder.bias``, ``decoder.weight`` (n_in, n_code; absent when
    ``tied``) and ``decoder.bias``. ``code`` and ``output`` are the activations f and g,
    "sigmoid" or "linear". Initialised like ``torch.nn.Linear``: uniform in ±1/√fan_in.
    """

    def __init__(self, n_in: int, n_code: int, tied: bool = False, code: str = "sigmoid",
                 output: str = "sigmoid", seed=None):
        super().__init__()
        n_in, n_code = positive_int("n_in", n_in), positive_int("n_code", n_code)
        for name, act in (("code", code), ("output", output)):
            if act not in ACTIVATIONS:
                raise ValueError(f"{name} activation must be one of {ACTIVATIONS}, got {act!r}")
        self.n_in, self.n_code, self.tied, self.code, self.output = n_in, n_code, tied, code, output
        rng = rng_from(seed)
        bound_in, bound_code = 1 / np.sqrt(n_in), 1 / np.sqrt(n_code)
        self.params["encoder.weight"] = rng.uniform(-bound_in, bound_in, (n_code, n_in))
        self.params["encoder.bias"] = rng.uniform(-bound_in, bound_in, n_code)
        if not tied:
            self.params["decoder.weight"] = rng.uniform(-bound_code, bound_code, (n_in, n_code))
        self.params["decoder.bias"] = rng.uniform(-bound_code, bound_code, n_in)

    def extra_repr(self):
        return f"{self.n_in}, {self.n_code}, tied={self.tied}, code={self.code!r}, output={self.output!r}"

    @property
    def decoder_weight(self) -> np.ndarray:
        """W' of shape (n_in, n_code): the encoder's weight transposed when tied."""
        return self.params["encoder.weight"].T if self.tied else self.params["decoder.weight"]

    @staticmethod
    def _act(kind, z):
        return F.sigmoid(z) if kind == "sigmoid" else z

    def encode(self, x) -> np.ndarray:
        """The code a = f(x Wᵀ + b) of each row of x."""
        x = as_array("Autoencoder.encode", x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise shape_error("Autoencoder.encode", f"(N, {self.n_in})", x)
        return self._act(self.code, x @ self.params["encoder.weight"].T + self.params["encoder.bias"])

    def decode(self, a) -> np.ndarray:
        """The reconstruction x̂ = g(a W'ᵀ + b') of each code a."""
        a = as_array("Autoencoder.decode", a)
        if a.ndim != 2 or a.shape[1] != self.n_code:
            raise shape_error("Autoencoder.decode", f"(N, {self.n_code})", a)
        return self._act(self.output, a @ self.decoder_weight.T + self.params["decoder.bias"])

    def forward(self, x):
        x = as_array("Autoencoder", x)
        a = self.encode(x)
        self.x, self.a, self.x_hat = x, a, self.decode(a)
        return self.x_hat

    def backward(self, grad_out):
        """δ at the output, then back through the decoder and encoder; a tied W collects both gradients."""
        x, a, x_hat = self.saved("x", "a", "x_hat")
        grad_out = check_grad("Autoencoder", grad_out, x_hat.shape)
        delta_out = grad_out * x_hat * (1 - x_hat) if self.output == "sigmoid" else grad_out
        grad_decoder = delta_out.T @ a  # (n_in, n_code)
        self.grads["decoder.bias"] = delta_out.sum(axis=0)
        delta_code = self._code_delta(delta_out @ self.decoder_weight)
        self.grads["encoder.weight"] = delta_code.T @ x
        self.grads["encoder.bias"] = delta_code.sum(axis=0)
        if self.tied:
            self.grads["encoder.weight"] += grad_decoder.T
        else:
            self.grads["decoder.weight"] = grad_decoder
        return delta_code @ self.params["encoder.weight"]

    def _code_delta(self, grad_a):
        """∂L/∂z of the code layer from ∂L/∂a."""
        return grad_a * self.a * (1 - self.a) if self.code == "sigmoid" else grad_a

    def sparsity_penalty(self, beta: float, rho: float = 0.05) -> float:
        """β Σ_j KL(ρ ‖ ρ̂_j), ρ̂_j the mean activation of code unit j over the last forward batch.

        Call after ``backward``: returns the penalty and adds its gradient to the encoder's grads
        (like ``dlteach.optim.l2_penalty``; pass it to ``dlteach.train.fit`` as ``penalty``).
        Needs sigmoid code units, whose activations lie in (0, 1), and a batch of at least one example.
        """
        if self.code != "sigmoid":
            raise ValueError("the KL sparsity penalty needs code='sigmoid' (activations in (0, 1))")
        beta, rho = number_in("beta", beta, "[0, inf)"), number_in("the target activation rho", rho, "(0, 1)")
        x, a = self.saved("x", "a")
        if "encoder.weight" not in self.grads:
            raise RuntimeError("no gradient yet: call backward() before sparsity_penalty()")
        if len(a) == 0:
            raise ValueError("the sparsity penalty needs a batch of at least one example: ρ̂ is a mean over it")
        rho_hat = np.clip(a.mean(axis=0), 1e-12, 1 - 1e-12)
        kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
        grad_a = np.broadcast_to(beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / len(a), a.shape)
        delta_code = self._code_delta(grad_a)
        self.grads["encoder.weight"] += delta_code.T @ x
        self.grads["encoder.bias"] += delta_code.sum(axis=0)
        return float(beta * kl.sum())

    def fit(self, X, epochs: int = 20, lr: float = 0.1, momentum: float = 0.9, batch_size: int = 32,
            sparsity: float = 0.0, rho: float = 0.05, seed=0, progress: bool = True) -> History:
        """Minimise the mean squared reconstruction error of X (plus ``sparsity`` · the KL penalty)
        with ``dlteach.train.fit`` and SGD with momentum."""
        X = as_array("Autoencoder.fit", X)
        penalty = (lambda model: model.sparsity_penalty(sparsity, rho)) if sparsity else None
        return fit(self, MSELoss(), SGD(self, lr=lr, momentum=momentum), X, X, epochs=epochs,
                   batch_size=batch_size, seed=seed, progress=progress, penalty=penalty)

    def reconstruction_error(self, X) -> float:
        """Mean squared difference between X and its reconstruction (0.0 for no rows)."""
        X = as_array("Autoencoder", X)
        return F.mse(self.decode(self.encode(X)), X)


class DeepAutoencoder(Sequential):
    """Trained autoencoders unrolled into one deep network: the encoders bottom-up, then the
    decoders top-down, each layer starting from the weights its autoencoder learned (Hinton &
    Salakhutdinov 2006). Fine-tune the whole with ``dlteach.train.fit(deep, MSELoss(), optimizer, X, X)``;
    ``encode`` runs the encoder half. Layers are ``Linear`` and ``Sigmoid``, named like torch.nn.Sequential.
    """

    def __init__(self, autoencoders):
        autoencoders = list(autoencoders)
        if not autoencoders:
            raise ValueError("DeepAutoencoder needs at least one trained Autoencoder")
        for lower, upper in zip(autoencoders[:-1], autoencoders[1:]):
            if upper.n_in != lower.n_code:
                raise ValueError(f"autoencoders do not stack: a code of {lower.n_code} units feeds an "
                                 f"autoencoder expecting {upper.n_in} inputs")
        encoder, decoder = [], []
        for ae in autoencoders:
            encoder += _layer(ae.params["encoder.weight"], ae.params["encoder.bias"], ae.code)
        for ae in reversed(autoencoders):
            decoder += _layer(ae.decoder_weight, ae.params["decoder.bias"], ae.output)
        super().__init__(*encoder, *decoder)
        self.n_encoder_layers = len(encoder)

    def encode(self, x) -> np.ndarray:
        """The code of the top autoencoder: x passed through the encoder half."""
        for layer in self.layers[:self.n_encoder_layers]:
            x = layer.forward(x)
        return x

    def __repr__(self):
        return "DeepAutoencoder" + super().__repr__().removeprefix("Sequential")


def _layer(weight, bias, activation) -> list[Module]:
    """A Linear layer holding copies of (weight, bias), followed by its activation if any."""
    linear = Linear(weight.shape[1], weight.shape[0], seed=0)  # initial values are overwritten
    linear.params["weight"][...] = weight
    linear.params["bias"][...] = bias
    return [linear, Sigmoid()] if activation == "sigmoid" else [linear]
