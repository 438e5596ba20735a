"""Data sets generated in code or shipped by a dependency; nothing here needs the network unless asked."""
