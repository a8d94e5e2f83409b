"""The Lambda functions: each folder is one function's code root (its app.py is the handler)."""
