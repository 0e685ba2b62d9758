# Stop handlers first, so Ctrl-C or SIGTERM during the imports ends in one line too.
from analysis.processes import EXIT_STATUS, install_stop_handlers

install_stop_handlers()

import os  # noqa: E402
import sys  # noqa: E402

from analysis.cli import main  # noqa: E402

status = main()
if status in EXIT_STATUS.values():
    # Interrupted: the command's finally blocks have cleaned up; skip the interpreter's shutdown
    # (atexit hooks that join threads or pool workers could outlast the 2 s a stop may take).
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)
sys.exit(status)
