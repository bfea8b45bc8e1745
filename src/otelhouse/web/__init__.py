"""Serving the built web UI (`ui.py`) and the optional base path (`base_path.py`)."""
