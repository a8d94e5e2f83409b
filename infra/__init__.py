"""The CDK app of anshin: a stateful stack (data, keys, topics) and a stateless one (code)."""
