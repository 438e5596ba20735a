"""Data sets generated in code or shipped by a dependency; nothing here needs the network unless asked."""

from .digits import Split, load_digits
from .mnist import load_mnist
from .toy import blobs, circles, moons, spirals, xor
from .sequences import adding_problem, memory_task, next_item_sequences
