"""The rules of the terms of use, pure: no AWS, no I/O. Tested without moto."""
