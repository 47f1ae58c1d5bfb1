"""Build of the extension locus._locus for pip (see pyproject.toml).

The C library is built by the project's Makefile (`make build/liblocus.a`
in the directory above); the extension is compiled from _locus.c with
the project's C standard and warnings and linked with it statically.
`make python` is the other way to build the same module, into
build/python/ for PYTHONPATH, without installing.
"""
import os
import shlex
import subprocess

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIBRARY = os.path.join(ROOT, 'build', 'liblocus.a')


def version():
    """The C library's version (include/locus.h), which the module reports."""
    with open(os.path.join(ROOT, 'include', 'locus.h')) as fh:
        for line in fh:
            if line.startswith('#define LOCUS_VERSION_STRING'):
                return line.split('"')[1]
    raise RuntimeError('include/locus.h: no LOCUS_VERSION_STRING')


def makefile_packages():
    """The libraries liblocus.a needs: the Makefile's PKGS (pkg-config names)
    and its fallback flags, so that the two builds never drift apart."""
    pkgs, fallback = [], []
    with open(os.path.join(ROOT, 'Makefile')) as fh:
        for line in fh:
            if line.startswith('PKGS ') or line.startswith('PKGS='):
                pkgs = line.split('=', 1)[1].split()
            elif line.startswith('PKG_LIBS') and '|| echo' in line:
                fallback = line.split('|| echo', 1)[1].strip().rstrip(')').split()
    return pkgs, fallback


def pkg_libs():
    pkgs, fallback = makefile_packages()
    try:
        out = subprocess.run(['pkg-config', '--libs'] + pkgs,
                             check=True, capture_output=True, text=True).stdout
        return shlex.split(out)
    except (OSError, subprocess.CalledProcessError):
        return fallback or ['-lpng16', '-ltiff', '-ldeflate', '-lexpat', '-ljpeg']


class BuildWithLibrary(build_ext):
    """Build liblocus.a with the project's Makefile first."""

    def run(self):
        subprocess.run(['make', '--no-print-directory', '-C', ROOT, 'build/liblocus.a'],
                       check=True)
        # always compile and link afresh: setuptools cannot see a change of
        # flags or libraries, and a stale extension would not be `make python`'s
        self.force = True
        super().run()


extension = Extension(
    'locus._locus',
    sources=['_locus.c', '_link.c', '_pictures.c'],
    include_dirs=[os.path.join(ROOT, 'include'), numpy.get_include()],
    extra_objects=[LIBRARY],
    extra_compile_args=['-std=c11', '-fvisibility=hidden', '-pthread', '-Wall', '-Wextra',
                        '-Wshadow', '-Wstrict-prototypes', '-Wmissing-prototypes', '-Wvla'],
    # only PyInit__locus is exported: the library's symbols stay inside
    extra_link_args=pkg_libs() + ['-lm', '-pthread', '-Wl,--exclude-libs,ALL'],
    depends=[os.path.join(ROOT, 'include', 'locus.h'), '_methods.h', '_pyhelp.h', LIBRARY],
)

setup(version=version(), packages=['locus'], ext_modules=[extension], cmdclass={'build_ext': BuildWithLibrary})
