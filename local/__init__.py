"""Runs the synthesized CDK app, unchanged, on an embedded AWS (ministack) on 127.0.0.1.

Not shipped in the layer: this is developer tooling. ``python -m local run`` (``make run``)
starts the emulator, deploys ``cdk.out/`` into it and serves until Ctrl-C.
"""
