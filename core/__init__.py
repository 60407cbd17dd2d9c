"""What every part of kezhuan shares: settings, errors and text primitives.

* :mod:`core.settings`: the one settings dataclass (``KEZHUAN_*`` variables).
* :mod:`core.errors`: kezhuan's exceptions.
* :mod:`core.text`: script conversion, search-form folding, index tokens, sentence spans.
"""
