"""The report (月报 / review report): one model (model.py) rendered as xlsx, pdf, pptx, Markdown and HTML."""
