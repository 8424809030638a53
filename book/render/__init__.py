"""A chapter's Markdown filled from its snippets' results — independent of the site generator.

Directives (double square brackets, so they collide with neither Jinja nor LaTeX braces):

``[[ID:KEY]]`` / ``[[ID:KEY|FMT]]``
    A measured value from snippet ``ID``'s results; ``KEY`` is a dotted path, where a
    number indexes a list (``profile.0``, ``profile.-1``). ``FMT`` is a Python format
    spec (default ``.3g``), or ``sciN`` (``3.1 × 10⁻⁵`` in HTML, N significant digits,
    default 2), or ``texN`` (``3.1 \\times 10^{-5}``, for use inside ``$…$``).
``[[ID:setup.NAME]]`` / ``[[ID:setup.NAME|FMT]]``
    A value of the experiment's configuration, read from the code that ran: the literal
    default of ``measure()``'s parameter ``NAME`` (the build passes only ``seed``), or the
    module constant ``NAME`` (``UPPER_CASE = literal``); a dotted path indexes into it
    (``setup.depths.-1``). A computed value (``2 ** 8``) is refused: return it in the results.
``[[figure ID:NAME|Caption]]``
    Figure NAME drawn by snippet ``ID``, in light and dark variants, with its alt text
    from the snippet, the caption, and links to the data (JSON) behind it and its source.
    The caption may hold value directives.
``[[claims]]``
    The tested claims of every snippet this page uses, with measured values and checks.

A page "uses" a snippet when it names it in a directive or includes its file with
``--8<-- "snippets/…/ID.py"``. Unknown snippets, keys and figures are errors.

The modules, one job each: :mod:`~book.render.markdown` scans the Markdown (fences, display
math, includes, directives' syntax, exercises); :mod:`~book.render.directives` resolves a
directive to its text; :mod:`~book.render.numbers` and :mod:`~book.render.setup` give a value
and a setup value; :mod:`~book.render.figures` and :mod:`~book.render.cards` draw a figure and
the claims cards; :mod:`~book.render.labels` holds every word the generated parts say, in each
language; :mod:`~book.render.page` puts a page together; :mod:`~book.render.chinese` joins the
Chinese edition's wrapped lines. This package imports nothing heavy (no torch).
"""
