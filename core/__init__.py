"""The foundation: shared types, settings, errors and text utilities. Imports nothing else of ours."""
