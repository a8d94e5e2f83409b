"""anshin: the domain of the smartphone support service (スマホ安心サポート).

Shipped to every function in the shared Lambda layer. ``anshin.terms`` is the terms of use
as pure functions; the rest is the data access and domain logic built on it.
"""
