"""The lecture models, built from ``dlteach.nn``."""

from .mlp import MLP, lecture_network
from .autoencoder import Autoencoder, DeepAutoencoder
from .dbn import DBN, mlp_from_pretrained
from .rbm import RBM, RBMHistory, binary_states, boltzmann_table
from .sparse_coding import ista, learn_dictionary
from .lenet5 import c3_table, lenet5, small_cnn, train_small_cnn
from .memory_cell import LECTURE_EXAMPLE, MemoryCellTrace, lstm_cell_trace, lstm_memory_cell, memory_cell_trace
from .sequence import SequenceClassifier
