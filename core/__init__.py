"""The foundation: shared types, settings, errors and text utilities. Imports nothing else of ours.

Its modules are the API: ``core.types``, ``core.settings``, ``core.errors``, ``core.text``,
``core.normalize``, ``core.sentences``, ``core.tokenize``, ``core.offline``, ``core.lazy``.
"""
