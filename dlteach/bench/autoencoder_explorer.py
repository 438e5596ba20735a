"""Lesson 13: the autoencoder explorer's λ slider and digit choice (dictionaries learned first, as a learner's
button press would)."""

from __future__ import annotations

from . import Row, update_row


def rows() -> list[Row]:
    from ..widgets.autoencoder import LAMBDAS, AutoencoderExplorer

    explorer = AutoencoderExplorer()
    return [
        update_row("autoencoder explorer: λ slider", explorer, "lam", LAMBDAS),
        update_row("autoencoder explorer: test digits", explorer, "digits",
                   ["0 to 5", "4 to 9", "six 3s", "six 8s"]),
        update_row("autoencoder explorer: code size (36 learned, 64 not yet)", explorer,
                   "code_size", [36, 64]),
    ]
