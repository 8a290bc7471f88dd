"""The example course that `lmspack new` copies (also the tests' small fixture course)."""
