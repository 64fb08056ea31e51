"""Builds the Cython media kernels in `cython_ext/` (and the pjmedia port when a pjproject prefix is given).

Everything else about the package lives in pyproject.toml; this file only declares the extensions.

Switches (environment):
  CALLBOX_CYTHON_DEBUG=1      -O0 -g, bounds and wraparound checks on (slow, for gdb and valgrind)
  CALLBOX_CYTHON_ANNOTATE=1   also write `cython -a` HTML next to each .pyx (yellow = Python calls)
  CALLBOX_PJPROJECT_PREFIX=…  install prefix of our pjproject build (`image/pjsua2/build.sh
                              --print-prefix`); builds `cython_ext.pjport` against its SHARED libraries.
                              Without it the pjmedia-linked extension is skipped.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from setuptools import Extension, setup

# One extension per concern; each has a .pxd (its C-level API) and a .pyi (its Python API).
KERNELS = ["g711", "mixer", "jitter", "dtmf", "tones", "recorder"]

DEBUG = os.environ.get("CALLBOX_CYTHON_DEBUG") == "1"
ANNOTATE = os.environ.get("CALLBOX_CYTHON_ANNOTATE") == "1"
PJ_PREFIX = os.environ.get("CALLBOX_PJPROJECT_PREFIX", "").strip()

if DEBUG:
    CFLAGS = ["-O0", "-g3", "-UNDEBUG"]
    DIRECTIVES = {"boundscheck": True, "wraparound": True, "initializedcheck": True}
else:
    # -O3 lets gcc vectorise the mixer's sum/subtract/clip loops (the bench compares against plain C -O3).
    CFLAGS = ["-O3", "-g0"]
    DIRECTIVES = {"boundscheck": False, "wraparound": False, "initializedcheck": False}
DIRECTIVES.update({"language_level": 3, "cdivision": True, "embedsignature": True})


def pkg_config(prefix: str, *args: str) -> list[str]:
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    out = subprocess.run(["pkg-config", *args, "libpjproject"], env=env, check=True, capture_output=True, text=True)
    return shlex.split(out.stdout)


def extensions() -> list[Extension]:
    exts = [
        Extension(f"cython_ext.{name}", [f"cython_ext/{name}.pyx"], extra_compile_args=CFLAGS,
                  include_dirs=["cython_ext"])
        for name in KERNELS
    ]
    if PJ_PREFIX and os.path.exists("cython_ext/pjport.pyx"):
        # Shared libraries only (never --static): the SWIG pjsua2 module and this extension must share
        # one pjlib, one pjsua instance and one conference bridge. The rpath makes LD_LIBRARY_PATH unnecessary.
        cflags = pkg_config(PJ_PREFIX, "--cflags")
        libs = pkg_config(PJ_PREFIX, "--libs")
        exts += [Extension(
            f"cython_ext.{name}", [f"cython_ext/{name}.pyx"],
            extra_compile_args=CFLAGS + cflags,
            extra_link_args=libs + [f"-Wl,-rpath,{PJ_PREFIX}/lib"],
            include_dirs=["cython_ext"],
            # A new pjproject build (another prefix) must relink it: linked to the old one, it
            # would load a second pjlib beside the SWIG module's.
            depends=[os.path.join(PJ_PREFIX, ".complete")],
        ) for name in ("pjport", "tdmport")]      # tdmport: a serial card's channel in the bridge (issue 11)
    from Cython.Build import cythonize

    return cythonize(exts, compiler_directives=DIRECTIVES, annotate=ANNOTATE, language_level=3,
                     include_path=["cython_ext/include"], quiet=True)


setup(ext_modules=extensions())
