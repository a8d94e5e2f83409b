"""The service stack's capabilities, one module each, composed by ``infra.stacks.stateless``.

Each capability is a plain class that creates its resources on the stack's own scope, not a
``Construct`` of its own: a resource nested one level deeper would get a new logical id, and
the local stack, the e2e tests and the alarms name resources by theirs. ``operations`` is a
real ``Construct`` (``Operations``) because it has always been one.
"""
