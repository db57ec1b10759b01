"""Displays following scikit-learn's plotting API (matplotlib imported lazily)."""
