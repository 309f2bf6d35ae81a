"""retro: operations review dashboard (运营回顾 / 复盘). Domain code; imports no Streamlit."""

__version__ = "0.1.0"
