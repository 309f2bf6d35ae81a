"""``python -m retro.ui``: the dashboard server (see :func:`retro.ui.serve`)."""

from . import serve

serve()
