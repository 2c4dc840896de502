"""Run the ``minitwophase`` command in-process, as the CLI tests need it."""
from minitwophase import cli


def run_cli(args, capsys):
    """cli.main(args) -> (exit code, stdout, stderr); argparse's own exits count too."""
    try:
        code = cli.main(args)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
