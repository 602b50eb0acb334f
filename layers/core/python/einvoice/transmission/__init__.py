"""Transmission (the issuing platform, PA-E): validate, seal, archive, route and deliver an invoice.

Use cases in ``service.py`` (API) and ``tasks.py`` (``statemachines/transmission.asl.json``); ports
in ``ports.py``; AWS and HTTP adapters beside them; in-memory fakes in ``memory.py``.
"""
