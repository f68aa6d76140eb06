"""coopatlas: the atlas of French decentralised cooperation."""

__version__ = "0.1.0"
