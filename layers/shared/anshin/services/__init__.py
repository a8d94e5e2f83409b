"""The use cases the functions call: each composes domain rules, the store and the adapters."""
