"""Only the optional compiled core lives here; everything else is in pyproject.toml.

`optional=True`: without a C compiler, Python headers or zlib headers the package still
installs, and the pure-Python twins of the core's functions are used (slower, same results).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("tidb_lightning._core", ["src/tidb_lightning/_core.c", "src/tidb_lightning/_csv.c"],
                             depends=["src/tidb_lightning/_core.h"],
                             libraries=["z"], optional=True, extra_compile_args=["-O2"])])
