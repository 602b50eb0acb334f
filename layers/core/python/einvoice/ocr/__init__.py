"""OCR of suppliers' PDFs, scans and photos into checked received invoices (issue 13).

``routes.py`` (functions and state machine), ``models.py`` (API shapes), ``service.py`` (use
cases), ``tasks.py`` (state machine tasks), ``ports.py`` / ``adapters.py`` / ``memory.py``;
the reading and extraction logic: ``document``, ``preprocess``, ``tesseract``, ``textract``,
``layout``, ``extract``, ``normalize``, ``crosscheck``, ``pipeline``; ``build`` makes the EN 16931
invoice of an accepted result.
"""
