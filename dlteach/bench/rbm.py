"""Lesson 12: an RBM training epoch against scikit-learn's BernoulliRBM, and the RBM explorer."""

from __future__ import annotations

import numpy as np

from . import Row, ratio_row, update_row

N_HIDDEN, BATCH, LR = 100, 20, 0.05


def epoch_pair():
    """Two callables training one epoch on the binarised digits (1,078 × 64) with the same number
    of hidden units, batch size and learning rate, one Gibbs step each: (dlteach CD-1, scikit-learn)."""
    from sklearn.neural_network import BernoulliRBM

    from ..data import load_digits
    from ..models import RBM

    X = (load_digits().X_train > 0.5).astype(np.float64)
    ours = RBM(X.shape[1], N_HIDDEN, seed=0)
    theirs = BernoulliRBM(n_components=N_HIDDEN, learning_rate=LR, batch_size=BATCH, n_iter=1, random_state=0)

    def our_epoch():
        ours.fit(X, epochs=1, lr=LR, k=1, batch_size=BATCH, progress=False)

    def their_epoch():
        theirs.fit(X)  # n_iter=1: one epoch (scikit-learn's negative phase is one step of persistent chains)

    return our_epoch, their_epoch


def rows() -> list[Row]:
    from ..widgets.rbm import RBMExplorer

    our_epoch, their_epoch = epoch_pair()
    explorer = RBMExplorer()
    steps = [10, 100, 30, 300]
    return [
        ratio_row(f"RBM epoch, digits 64→{N_HIDDEN}, batch {BATCH}, CD-1 (recording errors)", our_epoch,
                  their_epoch, "scikit-learn BernoulliRBM", goal=1.0, repeat=15),
        update_row("RBM explorer: Gibbs steps", explorer, "sample_steps", steps),
        update_row("RBM explorer: one Gibbs step at a time", explorer, "sample_steps",
                   range(101, 200)),
        update_row("RBM explorer: k (no sampling)", explorer, "k", [2, 5, 1]),
    ]
