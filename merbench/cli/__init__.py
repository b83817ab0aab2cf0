"""The ``merbench`` command line: thin click commands over library functions."""
