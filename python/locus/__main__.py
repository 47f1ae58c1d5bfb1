"""``python -m locus --version``: the module's version (that of the C library
it is built from); without arguments, what the module offers."""
import argparse
import sys

from . import __version__


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog='python -m locus',
        description='locus: trackpy-exact particle location and linking from Python '
                    '(import locus: locate, batch, link, predict, filter_stubs, annotate, '
                    'diag). The command line is the `locus` program.')
    ap.add_argument('--version', action='version', version=f'locus {__version__}')
    ap.parse_args(argv)
    ap.print_help()
    return 0


if __name__ == '__main__':
    sys.exit(main())
